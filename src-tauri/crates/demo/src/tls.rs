//! A private CA and a server certificate signed by it, made at start-up, so
//! HTTPS on loopback verifies through `ca_file` like an internal CA would.

use std::sync::Arc;

use axum_server::tls_rustls::RustlsConfig;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};

pub struct TestPki {
    pub ca_pem: String,
    pub cert_pem: String,
    pub key_pem: String,
}

impl TestPki {
    /// A CA valid for a year and a leaf for `names` valid 90 days.
    pub fn generate(names: &[&str]) -> Result<TestPki, rcgen::Error> {
        Self::generate_with_validity(names, 90)
    }

    pub fn generate_with_validity(names: &[&str], leaf_days: i64) -> Result<TestPki, rcgen::Error> {
        let now = time::OffsetDateTime::now_utc();
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "Readyroom demo CA");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        ca_params.not_before = now - time::Duration::days(1);
        ca_params.not_after = now + time::Duration::days(365);
        let ca_key = KeyPair::generate()?;
        let ca = ca_params.self_signed(&ca_key)?;

        let mut leaf_params =
            CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())?;
        leaf_params.distinguished_name.push(
            DnType::CommonName,
            names.first().copied().unwrap_or("localhost"),
        );
        leaf_params.not_before = now - time::Duration::days(1);
        leaf_params.not_after = now + time::Duration::days(leaf_days);
        let leaf_key = KeyPair::generate()?;
        let leaf = leaf_params.signed_by(&leaf_key, &ca, &ca_key)?;
        Ok(TestPki {
            ca_pem: ca.pem(),
            cert_pem: leaf.pem() + &ca.pem(),
            key_pem: leaf_key.serialize_pem(),
        })
    }

    /// A rustls server config (ring provider) serving the leaf certificate.
    pub fn rustls_config(&self) -> RustlsConfig {
        RustlsConfig::from_config(Arc::new(self.server_config(None)))
    }

    /// Server config, optionally limited to one protocol version.
    pub fn server_config(
        &self,
        only: Option<&'static rustls::SupportedProtocolVersion>,
    ) -> rustls::ServerConfig {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let certs: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(self.cert_pem.as_bytes())
                .collect::<Result<_, _>>()
                .expect("rcgen wrote valid PEM");
        let key = PrivateKeyDer::from_pem_slice(self.key_pem.as_bytes())
            .expect("rcgen wrote a valid key");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(provider);
        let builder = match only {
            Some(v) => builder.with_protocol_versions(&[v]),
            None => builder.with_safe_default_protocol_versions(),
        }
        .expect("ring supports the safe defaults");
        let mut config = builder
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .expect("rcgen's key matches its certificate");
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        config
    }
}
