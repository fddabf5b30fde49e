//! An example production environment on loopback.
//!
//! It is what `readyroom demo` scores until the full demo production (tiers,
//! usage, traces, deploys) arrives: a small API over HTTPS with its own CA,
//! a health endpoint with version and dependency checks, security and
//! rate-limit headers, RFC 9457 errors, auth on protected routes and a
//! Prometheus metrics endpoint.

mod app;
pub mod tls;

use std::net::SocketAddr;

pub use app::router;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot create the demo's certificates: {0}")]
    Certificates(String),
    #[error("cannot listen on 127.0.0.1: {0}")]
    Bind(std::io::Error),
}

/// A running example production.
pub struct Demo {
    pub addr: SocketAddr,
    /// PEM of the CA that signed the server certificate (for `ca_file`).
    pub ca_pem: String,
    handle: axum_server::Handle,
}

impl Demo {
    /// Starts serving on a random loopback port.
    pub async fn start() -> Result<Demo, Error> {
        let pki = tls::TestPki::generate(&["localhost", "127.0.0.1"])
            .map_err(|e| Error::Certificates(e.to_string()))?;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(Error::Bind)?;
        listener.set_nonblocking(true).map_err(Error::Bind)?;
        let addr = listener.local_addr().map_err(Error::Bind)?;
        let handle = axum_server::Handle::new();
        let server = axum_server::from_tcp_rustls(listener, pki.rustls_config())
            .handle(handle.clone())
            .serve(router().into_make_service());
        tokio::spawn(async move {
            if let Err(e) = server.await {
                tracing::error!(error = %e, "the demo server stopped");
            }
        });
        Ok(Demo {
            addr,
            ca_pem: pki.ca_pem,
            handle,
        })
    }

    pub fn base_url(&self) -> String {
        format!("https://localhost:{}", self.addr.port())
    }

    /// A config for this demo, environment `demo`; `ca_file` names where the
    /// caller writes [`Demo::ca_pem`].
    pub fn config_toml(&self, ca_file: &str) -> String {
        let base = self.base_url();
        format!(
            "# Written by `readyroom demo` for its example production.\n\
             default_environment = \"demo\"\n\n\
             [environments.demo]\n\
             base_url = \"{base}/\"\n\
             health_urls = [\"{base}/api/health\"]\n\
             protected_urls = [\"{base}/api/contacts\", \"{base}/api/campaigns\"]\n\
             metrics_url = \"{base}/api/metrics\"\n\
             ca_file = {ca_file:?}\n"
        )
    }

    pub fn shutdown(&self) {
        self.handle
            .graceful_shutdown(Some(std::time::Duration::from_secs(2)));
    }
}
