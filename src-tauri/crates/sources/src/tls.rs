//! The TLS handshake with the base URL: negotiated version and certificate
//! expiry. Done with rustls directly because an HTTP client hides both.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use readyroom_core::config::Environment;
use readyroom_core::evidence::inputs::TLS;
use readyroom_core::evidence::{InputId, TlsOutcome, TlsProbe, TlsVersion};
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, RootCertStore};
use time::OffsetDateTime;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use url::{Host, Url};

use crate::source::{BoxFuture, Findings, RunContext, Source};
use crate::trust::root_store;

pub async fn probe(url: &Url, roots: Arc<RootCertStore>, timeout: Duration) -> TlsProbe {
    let at = OffsetDateTime::now_utc();
    let host = url.host_str().unwrap_or_default().to_string();
    let port = url.port_or_known_default().unwrap_or(443);
    let label = format!("{host}:{port}");
    if url.scheme() != "https" {
        return TlsProbe {
            host: label,
            at,
            outcome: TlsOutcome::PlainHttp,
        };
    }
    let Some(target) = url.host().map(|h| h.to_owned()) else {
        return TlsProbe {
            host: label,
            at,
            outcome: TlsOutcome::Failed {
                detail: "the base URL has no host".into(),
            },
        };
    };
    let outcome = match tokio::time::timeout(timeout, handshake(target, port, roots)).await {
        Ok(Ok(o)) => o,
        Ok(Err(detail)) => TlsOutcome::Failed { detail },
        Err(_) => TlsOutcome::Failed {
            detail: format!("no handshake within {} ms", timeout.as_millis()),
        },
    };
    TlsProbe {
        host: label,
        at,
        outcome,
    }
}

async fn handshake(
    host: Host<String>,
    port: u16,
    roots: Arc<RootCertStore>,
) -> Result<TlsOutcome, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    // An IP literal is verified against the certificate's IP addresses and
    // connected to directly; `host_str` would give "[::1]", which is
    // neither a name nor an address.
    let (name, tcp) = match &host {
        Host::Domain(domain) => (
            ServerName::try_from(domain.clone())
                .map_err(|e| format!("invalid host name '{domain}': {e}"))?,
            TcpStream::connect((domain.as_str(), port)).await,
        ),
        Host::Ipv4(ip) => (
            ServerName::IpAddress(IpAddr::V4(*ip).into()),
            TcpStream::connect((*ip, port)).await,
        ),
        Host::Ipv6(ip) => (
            ServerName::IpAddress(IpAddr::V6(*ip).into()),
            TcpStream::connect((*ip, port)).await,
        ),
    };
    let tcp = tcp.map_err(|e| format!("cannot connect to {host}:{port}: {e}"))?;
    let stream = TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|e| e.to_string())?;
    let (_, conn) = stream.get_ref();
    let version = match conn.protocol_version() {
        Some(rustls::ProtocolVersion::TLSv1_3) => TlsVersion::Tls13,
        Some(rustls::ProtocolVersion::TLSv1_2) => TlsVersion::Tls12,
        other => return Err(format!("unexpected TLS version {other:?}")),
    };
    let leaf = conn
        .peer_certificates()
        .and_then(|c| c.first())
        .ok_or_else(|| "the server sent no certificate".to_string())?;
    let (_, cert) = x509_parser::parse_x509_certificate(leaf.as_ref())
        .map_err(|e| format!("the server certificate does not parse: {e}"))?;
    let not_after = OffsetDateTime::from_unix_timestamp(cert.validity().not_after.timestamp())
        .map_err(|e| format!("certificate expiry out of range: {e}"))?;
    Ok(TlsOutcome::Handshake { version, not_after })
}

/// The TLS handshake with the base URL, as a source.
pub struct TlsSource;

impl Source for TlsSource {
    fn label(&self) -> &'static str {
        "tls"
    }

    fn provides(&self) -> &'static [InputId] {
        &[TLS.id]
    }

    fn configured(&self, env: &Environment) -> bool {
        env.base_url.is_some()
    }

    fn gather<'a>(&'a self, ctx: &'a RunContext<'a>) -> BoxFuture<'a, Findings> {
        Box::pin(async move {
            let mut findings = Findings::new(ctx);
            let Some(url) = &ctx.env.base_url else {
                return findings;
            };
            let p = probe(url, root_store(ctx.extra_roots), ctx.timeout).await;
            let result = match &p.outcome {
                TlsOutcome::Failed { detail } => Err(detail.clone()),
                _ => Ok(()),
            };
            let target = p.host.clone();
            findings.set(&TLS, Ok(p));
            findings.seen(target, result)
        })
    }
}
