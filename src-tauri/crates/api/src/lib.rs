//! The application layer and its command API (ARCHITECTURE.md rule 2):
//! every action the UI can take is one typed command, declared once in
//! [`commands`] and handled once in its area's module ([`scorecard`],
//! [`secrets`], [`settings`]). The desktop shell forwards Tauri `invoke` to
//! [`Api::dispatch`]; `readyroom serve` forwards HTTP to it; the CLI calls
//! the same handlers through the typed methods. Long-lived work runs as
//! [`services`] started and stopped the same way by every entry point.
//!
//! Handlers reach the outside world only through a [`Host`]: the store's
//! path, the event sink, the secret store, the clock and the sources. The
//! real host uses the keychain and production's sources; the test host
//! (`tests/test_host.rs`) a temp store, memory secrets and a fixed clock.

pub mod audit;
pub mod commands;
pub mod context;
mod define;
pub mod demo;
pub mod deploys;
mod error;
mod events;
pub mod paths;
pub mod pools;
pub mod quota;
pub mod report;
pub mod request;
pub mod scorecard;
pub mod secrets;
pub mod services;
pub mod settings;
pub mod traces;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use readyroom_secrets::{KeyringStore, SecretStore};
use readyroom_sources::Registry;
use readyroom_store::Store;
use time::OffsetDateTime;

pub use commands::{export_bindings, Command};
pub use error::{ApiError, ErrorCode};
pub use events::{Event, EventSink, NoEvents};

/// Where the API finds its config and store.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The config file (`--config`, `READYROOM_CONFIG` or the platform default).
    pub config_path: Option<PathBuf>,
    /// The SQLite store file.
    pub store_path: PathBuf,
    /// Whether this transport takes actions against production (cancel a
    /// backend, roll back): the desktop app and the CLI do; `serve` only
    /// with `--allow-actions`.
    pub allow_actions: bool,
}

/// "Now", injected so that handlers can be tested at a fixed time.
pub type Clock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

/// The sources a scorecard run reads, built over the local store (uptime
/// reads it).
pub type SourcesFor = Arc<dyn Fn(&Store) -> Registry + Send + Sync>;

/// Everything the handlers use from outside.
#[derive(Clone)]
pub struct Host {
    pub settings: Settings,
    pub events: Arc<dyn EventSink>,
    pub secrets: Arc<dyn SecretStore>,
    pub clock: Clock,
    pub sources: SourcesFor,
    /// How long one keychain call may take before it counts as unanswered.
    pub keychain_timeout: Duration,
}

impl Host {
    /// The real host: the OS keychain, the system clock, production.
    pub fn new(settings: Settings, events: Arc<dyn EventSink>) -> Host {
        Host {
            settings,
            events,
            secrets: Arc::new(KeyringStore::new()),
            clock: Arc::new(OffsetDateTime::now_utc),
            sources: Arc::new(scorecard::registry),
            keychain_timeout: secrets::keychain::DEFAULT_TIMEOUT,
        }
    }
}

/// The command API with its state. Cheap to clone.
#[derive(Clone)]
pub struct Api {
    inner: Arc<Inner>,
}

struct Inner {
    host: Host,
    store: tokio::sync::OnceCell<Store>,
    spans: tokio::sync::OnceCell<readyroom_store::SpanStore>,
    scorecard: scorecard::State,
    services: services::Services,
    receiver: traces::receiver_status::StatusCell,
    opened: traces::opened::OpenedFiles,
    pools: pools::read::PoolMemory,
    quota: quota::read::QuotaMemory,
    pool_connections: readyroom_sources::postgres::Connections,
    pool_watchers: pools::service::Watchers,
    demo: demo::DemoSlot,
}

impl Api {
    /// The API on the real host.
    pub fn new(settings: Settings, events: Arc<dyn EventSink>) -> Api {
        Api::on(Host::new(settings, events))
    }

    /// The API on a given host (tests pass their own).
    pub fn on(host: Host) -> Api {
        Api {
            inner: Arc::new(Inner {
                host,
                store: tokio::sync::OnceCell::new(),
                spans: tokio::sync::OnceCell::new(),
                scorecard: scorecard::State::default(),
                services: services::Services::default(),
                receiver: Default::default(),
                opened: Default::default(),
                pools: Default::default(),
                quota: Default::default(),
                pool_connections: Default::default(),
                pool_watchers: Default::default(),
                demo: Default::default(),
            }),
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.inner.host.settings
    }

    /// The config file in use: the in-app demo's while it runs, else the
    /// operator's (`Settings::config_path`).
    pub fn config_path(&self) -> Option<PathBuf> {
        self.inner
            .demo
            .config_path()
            .or_else(|| self.inner.host.settings.config_path.clone())
    }

    /// Parses `{ "cmd": ..., "payload": ... }` and dispatches it.
    pub async fn dispatch_json(
        &self,
        body: serde_json::Value,
    ) -> Result<serde_json::Value, ApiError> {
        let command = request::parse_command(body)?;
        self.dispatch(command).await
    }

    fn host(&self) -> &Host {
        &self.inner.host
    }

    fn now(&self) -> OffsetDateTime {
        (self.inner.host.clock)()
    }

    fn receiver_status(&self) -> &traces::receiver_status::StatusCell {
        &self.inner.receiver
    }

    fn opened_files(&self) -> &traces::opened::OpenedFiles {
        &self.inner.opened
    }

    fn emit(&self, event: Event) {
        self.inner.host.events.emit(event);
    }

    /// Closes the local store, if it was opened (a one-shot CLI command
    /// does this before it exits, so the WAL is checkpointed).
    pub async fn close(&self) {
        if let Some(store) = self.inner.store.get() {
            store.close().await;
        }
    }

    /// The span store, opened on first use; `None` while no span was ever
    /// received (reading does not create the file).
    pub async fn span_store(&self) -> Result<Option<&readyroom_store::SpanStore>, ApiError> {
        if let Some(store) = self.inner.spans.get() {
            return Ok(Some(store));
        }
        let path = traces::spans_path(&self.inner.host.settings.store_path);
        if !path.exists() {
            return Ok(None);
        }
        self.inner
            .spans
            .get_or_try_init(|| async {
                readyroom_store::SpanStore::open(&path)
                    .await
                    .map_err(ApiError::from)
            })
            .await
            .map(Some)
    }

    /// The local store, opened on first use.
    pub async fn store(&self) -> Result<&Store, ApiError> {
        self.inner
            .store
            .get_or_try_init(|| async {
                Store::open(&self.inner.host.settings.store_path)
                    .await
                    .map_err(ApiError::from)
            })
            .await
    }
}
