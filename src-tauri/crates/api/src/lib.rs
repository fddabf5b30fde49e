//! The command API (ARCHITECTURE.md rule 2): every action the UI can take is
//! one typed command, handled once here. The desktop shell forwards Tauri
//! `invoke` to [`Api::dispatch`]; `readyroom serve` forwards HTTP to it.
//! The CLI shares the same context and scoring code.
//!
//! Request and response types derive `ts_rs::TS`; their TypeScript form is
//! committed under `ui/src/bindings` and a test fails when it drifts
//! (rule 3).

pub mod commands;
pub mod context;
mod error;
mod events;
mod handlers;
pub mod paths;
pub mod scoring;
mod status;
mod uptime;

use std::path::PathBuf;
use std::sync::Arc;

pub use commands::Command;
pub use error::{ApiError, ErrorCode};
pub use events::{Event, EventSink, NoEvents};
pub use handlers::secret_rows;

/// Where the API finds its config and store.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The config file (`--config`, `READYROOM_CONFIG` or the platform default).
    pub config_path: Option<PathBuf>,
    /// The SQLite store file.
    pub store_path: PathBuf,
}

/// The command API with its state. Cheap to clone.
#[derive(Clone)]
pub struct Api {
    inner: Arc<Inner>,
}

struct Inner {
    settings: Settings,
    events: Arc<dyn EventSink>,
    store: tokio::sync::OnceCell<readyroom_store::Store>,
    status: status::Tracker,
    /// One scorecard run per environment at a time: a second "run now"
    /// waits for the first instead of doubling the probes on production.
    running: tokio::sync::Mutex<()>,
}

impl Api {
    pub fn new(settings: Settings, events: Arc<dyn EventSink>) -> Api {
        Api {
            inner: Arc::new(Inner {
                settings,
                events,
                store: tokio::sync::OnceCell::new(),
                status: status::Tracker::default(),
                running: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// Handles one command and returns its response as JSON.
    pub async fn dispatch(&self, command: Command) -> Result<serde_json::Value, ApiError> {
        handlers::dispatch(self, command).await
    }

    /// Parses `{ "cmd": ..., "payload": ... }` and dispatches it.
    pub async fn dispatch_json(
        &self,
        body: serde_json::Value,
    ) -> Result<serde_json::Value, ApiError> {
        let command: Command = serde_json::from_value(body).map_err(|e| {
            ApiError::new(
                ErrorCode::InvalidRequest,
                format!("not a valid command: {e}"),
            )
        })?;
        self.dispatch(command).await
    }

    async fn store(&self) -> Result<&readyroom_store::Store, ApiError> {
        self.inner
            .store
            .get_or_try_init(|| async {
                readyroom_store::Store::open(&self.inner.settings.store_path)
                    .await
                    .map_err(|e| ApiError::new(ErrorCode::StoreFailed, e.to_string()))
            })
            .await
    }
}
