//! Everything that talks to production: HTTP and TLS probes, the Prometheus
//! metrics endpoint, PostgreSQL statistics, the pooler's admin console and
//! the app's pool metrics.
//!
//! Each source implements [`Source`] (what it gathers, the secrets it
//! needs, its label, its time budget) and turns every failure into evidence
//! or a reason, never a panic. A [`Registry`] runs them all at once, so a
//! scorecard takes about as long as its slowest source.

pub mod app_pool;
pub mod deploy;
pub mod http;
pub mod metrics;
pub mod otlp;
pub mod pgbouncer;
pub mod postgres;
pub mod probes;
pub mod quota;
pub mod registry;
pub mod source;
pub mod tls;
pub mod trace_query;
pub mod trust;

use std::sync::Arc;

pub use registry::{Gathering, Registry};
pub use source::{BoxFuture, Findings, ResolvedSecrets, RunContext, SecretRef, Sighting, Source};

/// Errors that stop a whole run before any probe starts (bad local setup).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read ca_file {path}: {reason}. Check the path in the config, or remove ca_file to use only the system trust roots")]
    CaFile { path: String, reason: String },
    #[error("cannot build the HTTP client: {0}")]
    HttpClient(String),
}

pub type Result<T> = std::result::Result<T, Error>;

/// Every source that reads production, in the order progress lists them.
/// A new source is one module and one line here.
pub fn production_sources() -> Vec<Arc<dyn Source>> {
    vec![
        Arc::new(probes::HEALTH_PROBES),
        Arc::new(probes::AUTH_PROBES),
        Arc::new(probes::BASE_PROBE),
        Arc::new(probes::RATE_LIMIT_PROBE),
        Arc::new(probes::ERROR_PROBE),
        Arc::new(tls::TlsSource),
        Arc::new(metrics::MetricsSource),
        Arc::new(postgres::PostgresSource),
        Arc::new(pgbouncer::PgBouncerSource),
        Arc::new(app_pool::AppPoolSource),
    ]
}
