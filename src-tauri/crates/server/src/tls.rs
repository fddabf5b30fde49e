//! HTTPS for a server reached beyond loopback: the operator's certificate
//! chain and key, and the names that certificate is valid for (the only
//! names, with the machine's addresses, the Host guard then accepts).

use std::path::Path;
use std::sync::Arc;

use axum_server::tls_rustls::RustlsConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use x509_parser::extensions::GeneralName;

/// A loaded certificate, ready to serve.
pub struct ServerTls {
    pub config: RustlsConfig,
    /// DNS names and IP addresses from the leaf's subjectAltName.
    pub names: Vec<String>,
}

/// Reads a PEM certificate chain (leaf first) and its PEM private key.
/// Errors name the file and say what was wrong with it.
pub fn load(cert_file: &Path, key_file: &Path) -> Result<ServerTls, String> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert_file)
        .and_then(|certs| certs.collect::<Result<_, _>>())
        .map_err(|e| {
            format!(
                "cannot read the certificate {}: {e}; give a PEM certificate chain, leaf first",
                cert_file.display()
            )
        })?;
    let leaf = certs.first().ok_or_else(|| {
        format!(
            "{} holds no PEM certificate; give a PEM certificate chain, leaf first",
            cert_file.display()
        )
    })?;
    let names = subject_alt_names(leaf)
        .map_err(|e| format!("cannot read the certificate {}: {e}", cert_file.display()))?;
    if names.is_empty() {
        return Err(format!(
            "the certificate {} names no host (no subjectAltName); browsers would refuse it",
            cert_file.display()
        ));
    }
    let key = PrivateKeyDer::from_pem_file(key_file).map_err(|e| {
        format!(
            "cannot read the private key {}: {e}; give the certificate's PEM private key",
            key_file.display()
        )
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot set up TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            format!(
                "the key {} does not fit the certificate {}: {e}",
                key_file.display(),
                cert_file.display()
            )
        })?;
    // HTTP/1.1 only: the header-read timeout guards HTTP/1 connections.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(ServerTls {
        config: RustlsConfig::from_config(Arc::new(config)),
        names,
    })
}

fn subject_alt_names(leaf: &CertificateDer<'_>) -> Result<Vec<String>, String> {
    let (_, cert) = x509_parser::parse_x509_certificate(leaf.as_ref())
        .map_err(|e| format!("not an X.509 certificate ({e})"))?;
    let Some(san) = cert
        .subject_alternative_name()
        .map_err(|e| format!("its subjectAltName is malformed ({e})"))?
    else {
        return Ok(Vec::new());
    };
    Ok(san
        .value
        .general_names
        .iter()
        .filter_map(|name| match name {
            GeneralName::DNSName(dns) => Some(dns.to_string()),
            GeneralName::IPAddress(bytes) => ip_from_bytes(bytes).map(|ip| ip.to_string()),
            _ => None,
        })
        .collect())
}

fn ip_from_bytes(bytes: &[u8]) -> Option<std::net::IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(std::net::IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(std::net::IpAddr::from),
        _ => None,
    }
}
