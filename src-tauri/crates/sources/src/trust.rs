//! Trust roots: the system's, plus an optional per-environment CA file.

use std::path::Path;
use std::sync::Arc;

use rustls::RootCertStore;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

use crate::{Error, Result};

/// PEM certificates from an environment's `ca_file`.
#[derive(Debug, Clone, Default)]
pub struct ExtraRoots {
    pub certs: Vec<CertificateDer<'static>>,
    /// The PEM text, for clients that take PEM (reqwest).
    pub pem: Vec<u8>,
}

impl ExtraRoots {
    /// The environment's `ca_file`, or none.
    pub fn of(env: &readyroom_core::config::Environment) -> Result<ExtraRoots> {
        match &env.ca_file {
            Some(path) => ExtraRoots::load(path),
            None => Ok(ExtraRoots::default()),
        }
    }

    pub fn load(path: &Path) -> Result<ExtraRoots> {
        let err = |reason: String| Error::CaFile {
            path: path.display().to_string(),
            reason,
        };
        let pem = std::fs::read(path).map_err(|e| err(e.to_string()))?;
        let certs = CertificateDer::pem_slice_iter(&pem)
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| err(format!("not a PEM certificate file ({e})")))?;
        if certs.is_empty() {
            return Err(err("the file holds no PEM certificate".into()));
        }
        Ok(ExtraRoots { certs, pem })
    }
}

/// The system roots plus the extra ones. Unreadable system stores are
/// logged, not fatal: an internal CA alone may be all a probe needs.
pub fn root_store(extra: &ExtraRoots) -> Arc<RootCertStore> {
    let mut roots = RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    for e in &native.errors {
        tracing::debug!(error = %e, "skipping part of the system trust store");
    }
    let (_, ignored) = roots.add_parsable_certificates(native.certs);
    if ignored > 0 {
        tracing::debug!(ignored, "system certificates that did not parse");
    }
    for cert in &extra.certs {
        if let Err(e) = roots.add(cert.clone()) {
            tracing::warn!(error = %e, "a ca_file certificate was not accepted as a trust root");
        }
    }
    Arc::new(roots)
}
