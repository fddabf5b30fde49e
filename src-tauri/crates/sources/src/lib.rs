//! Everything that talks to production: HTTP and TLS probes, the Prometheus
//! metrics endpoint and PostgreSQL statistics.
//!
//! Every probe carries its own timeout and turns every failure into
//! evidence or a reason, never a panic; [`gather::gather_evidence`] runs them
//! all at once so a scorecard takes about as long as its slowest probe.

pub mod gather;
pub mod http;
pub mod metrics;
pub mod postgres;
pub mod tls;
pub mod trust;

pub use gather::{gather_evidence, planned_probes, GatherOptions, ResolvedSecrets};

/// Errors that stop a whole run before any probe starts (bad local setup).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read ca_file {path}: {reason}. Check the path in the config, or remove ca_file to use only the system trust roots")]
    CaFile { path: String, reason: String },
    #[error("cannot build the HTTP client: {0}")]
    HttpClient(String),
}

pub type Result<T> = std::result::Result<T, Error>;
