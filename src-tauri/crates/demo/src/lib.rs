//! The demo production environment: a small multi-tenant SaaS API on
//! loopback, modelled on the system PRODUCT.md describes.
//!
//! - an HTTPS API with its own CA: contacts, campaigns, an AI summarize
//!   route; health JSON with version, commit and dependency checks;
//!   security and `X-RateLimit-*` headers; RFC 9457 errors; 401 without a
//!   workspace key;
//! - workspaces on all four tiers, limits enforced per minute, hour and day,
//!   usage counted in SQLite (default) or PostgreSQL and exposed in the quota
//!   data contract (view `readyroom_usage`, and `/api/usage`);
//! - a flaky simulated LLM upstream, called with retries, backoff, jitter and
//!   Retry-After;
//! - its database pool's metrics in Prometheus text format;
//! - a deployment history with a provider API and one known-bad release;
//! - a traffic generator, and an incident drill that deploys the bad release.

mod app;
pub mod db;
pub mod llm;
pub mod pgbouncer;
pub mod pricing;
pub mod releases;
mod state;
pub mod telemetry;
pub mod tls;
mod traffic;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

pub use state::{HEALTHY_UPSTREAM, INCIDENT_UPSTREAM};

use crate::db::{Db, Workspace};
use crate::llm::{RetryPolicy, Upstream, UpstreamBehaviour};
use crate::releases::Releases;
use crate::state::{AppState, Metrics};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot create the demo's certificates: {0}")]
    Certificates(String),
    #[error("cannot listen on 127.0.0.1: {0}")]
    Bind(std::io::Error),
    #[error("the demo's database failed ({0}); check the --postgres URL, or omit it to use the embedded SQLite")]
    Database(String),
    #[error("cannot build the demo's HTTP client: {0}")]
    Client(String),
}

/// The keychain entries a demo config names.
#[derive(Debug, Clone, Copy, Default)]
pub struct DemoSecrets<'a> {
    /// The `--postgres` database's URL.
    pub postgres: Option<&'a str>,
    /// The console URL of the PgBouncer in front of it.
    pub pgbouncer: Option<&'a str>,
    /// The usage endpoint's token ([`Demo::usage_token`]).
    pub usage: Option<&'a str>,
    /// The deploy provider API's token ([`Demo::provider_token`]).
    pub deploy: Option<&'a str>,
}

/// How to run the demo.
#[derive(Debug, Clone)]
pub struct Options {
    /// `sqlite://PATH?mode=rwc` or `postgres://...`.
    pub database_url: String,
    /// Drive the API with generated traffic.
    pub traffic: bool,
    pub upstream: UpstreamBehaviour,
    pub retry: RetryPolicy,
    pub seed: u64,
    /// OTLP/HTTP endpoint to export traces to (e.g. `http://127.0.0.1:4318`).
    pub otlp_endpoint: Option<String>,
}

impl Options {
    /// The defaults, with the SQLite file in `dir`.
    pub fn sqlite_in(dir: &Path) -> Options {
        Options {
            database_url: format!("sqlite://{}?mode=rwc", dir.join("demo-app.db").display()),
            traffic: true,
            upstream: HEALTHY_UPSTREAM,
            retry: RetryPolicy::default(),
            seed: rand::random(),
            otlp_endpoint: None,
        }
    }
}

/// A running demo production.
pub struct Demo {
    pub addr: SocketAddr,
    /// PEM of the CA that signed the server certificate (for `ca_file`).
    pub ca_pem: String,
    /// The deploy provider API's token (a demo credential).
    pub provider_token: String,
    /// The usage endpoint's bearer token (a demo credential).
    pub usage_token: String,
    pub workspaces: Vec<Workspace>,
    pub upstream: Arc<Upstream>,
    state: AppState,
    handle: axum_server::Handle,
    traffic: Option<tokio::task::JoinHandle<()>>,
}

impl Demo {
    /// Starts serving on a random loopback port.
    pub async fn start(options: Options) -> Result<Demo, Error> {
        let pki = tls::TestPki::generate(&["localhost", "127.0.0.1"])
            .map_err(|e| Error::Certificates(e.to_string()))?;
        let db = Db::open(&options.database_url)
            .await
            .map_err(|e| Error::Database(redacted(&e.to_string(), &options.database_url)))?;
        let workspaces = db
            .workspaces()
            .await
            .map_err(|e| Error::Database(e.to_string()))?;
        let db_system = if db.postgres { "postgresql" } else { "sqlite" };
        let telemetry = telemetry::Telemetry::new(options.otlp_endpoint.as_deref(), db_system)
            .map_err(Error::Client)?;
        let upstream = Upstream::new(options.upstream, options.seed);
        let upstream_addr = upstream.serve().await.map_err(Error::Bind)?;
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(5))
            .build()
            .map_err(|e| Error::Client(e.to_string()))?;
        let provider_token = format!("demo_provider_{:016x}", rand::random::<u64>());
        let usage_token = format!(
            "demo_usage_{:016x}{:016x}",
            rand::random::<u64>(),
            rand::random::<u64>()
        );
        let state = AppState {
            db,
            by_key: Arc::new(
                workspaces
                    .iter()
                    .map(|w| (w.api_key.clone(), w.clone()))
                    .collect::<HashMap<_, _>>(),
            ),
            upstream: upstream.clone(),
            upstream_url: format!("http://{upstream_addr}/v1/messages"),
            http,
            retry: options.retry,
            releases: Arc::new(Mutex::new(Releases::history(
                time::OffsetDateTime::now_utc(),
            ))),
            provider_token: provider_token.clone().into(),
            usage_token: usage_token.clone().into(),
            metrics: Arc::new(Metrics::default()),
            anonymous: Arc::default(),
            telemetry,
        };
        let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(Error::Bind)?;
        listener.set_nonblocking(true).map_err(Error::Bind)?;
        let addr = listener.local_addr().map_err(Error::Bind)?;
        let handle = axum_server::Handle::new();
        let server = axum_server::from_tcp_rustls(listener, pki.rustls_config())
            .handle(handle.clone())
            .serve(app::router(state.clone()).into_make_service());
        tokio::spawn(async move {
            if let Err(e) = server.await {
                tracing::error!(error = %e, "the demo server stopped");
            }
        });
        let mut demo = Demo {
            addr,
            ca_pem: pki.ca_pem,
            provider_token,
            usage_token,
            workspaces,
            upstream,
            state,
            handle,
            traffic: None,
        };
        if options.traffic {
            let client = demo.client().map_err(|e| Error::Client(e.to_string()))?;
            demo.traffic = Some(tokio::spawn(traffic::run(
                client,
                demo.base_url(),
                demo.workspaces.clone(),
            )));
        }
        Ok(demo)
    }

    pub fn base_url(&self) -> String {
        format!("https://localhost:{}", self.addr.port())
    }

    /// An HTTP client that trusts the demo's CA.
    pub fn client(&self) -> Result<reqwest::Client, reqwest::Error> {
        reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(self.ca_pem.as_bytes())?)
            .build()
    }

    /// The incident drill: deploys the known-bad release.
    pub fn drill(&self) -> Option<releases::Release> {
        let id = self
            .state
            .releases
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .bad_release_id()?;
        self.state.deploy(&id)
    }

    /// A config for this demo, environment `demo`; `ca_file` names where the
    /// caller writes [`Demo::ca_pem`], `secrets` the keychain entries of its
    /// database, pooler and usage endpoint token, where it has them.
    pub fn config_toml(&self, ca_file: &str, secrets: &DemoSecrets) -> String {
        let postgres_secret = secrets.postgres;
        let base = self.base_url();
        let mut text = format!(
            "# Written by `readyroom demo` for its demo production.\n\
             default_environment = \"demo\"\n\n\
             [environments.demo]\n\
             base_url = \"{base}/\"\n\
             health_urls = [\"{base}/api/health\"]\n\
             protected_urls = [\"{base}/api/contacts\", \"{base}/api/campaigns\"]\n\
             metrics_url = \"{base}/api/metrics\"\n\
             ca_file = {ca_file:?}\n\n\
             [environments.demo.quota]\n\
             source = \"{source}\"\n\
             relation = \"readyroom_usage\"\n\
             usage_url = \"{base}/api/usage\"\n{usage_token}\n\
             [environments.demo.deploy]\n\
             provider = \"demo\"\n\
             url = \"{base}/provider/v1\"\n{deploy_token}",
            deploy_token = secrets
                .deploy
                .map(|s| format!("token_secret = \"{s}\"\n"))
                .unwrap_or_default(),
            usage_token = secrets
                .usage
                .map(|s| format!("token_secret = \"{s}\"\n"))
                .unwrap_or_default(),
            source = if postgres_secret.is_some() {
                "postgres"
            } else {
                "http"
            },
        );
        if let Some(secret) = postgres_secret {
            // The demo's own database: the place to try the cancel action.
            text.push_str(&format!(
                "\n[environments.demo.postgres]\nurl_secret = \"{secret}\"\nallow_cancel = true\n"
            ));
        }
        if let Some(secret) = secrets.pgbouncer {
            text.push_str(&format!(
                "\n[environments.demo.pgbouncer]\nurl_secret = \"{secret}\"\n"
            ));
        }
        text
    }

    /// Exports every span recorded so far and stops the exporter.
    pub async fn flush_traces(&self) {
        let telemetry = self.state.telemetry.clone();
        let _ = tokio::task::spawn_blocking(move || telemetry.shutdown()).await;
    }

    pub fn shutdown(&self) {
        if let Some(t) = &self.traffic {
            t.abort();
        }
        self.handle
            .graceful_shutdown(Some(std::time::Duration::from_secs(2)));
    }
}

/// Never repeat a database URL's password in an error.
fn redacted(message: &str, url: &str) -> String {
    readyroom_core::redact::redact(message, &[url])
}
