//! HTTP probes: one request, its status, headers, latency and (small) body.

use std::collections::BTreeMap;
use std::error::Error as _;
use std::time::{Duration, Instant};

use readyroom_core::evidence::{HttpOutcome, HttpProbe, HttpResponse, ProbeFailure};
use time::OffsetDateTime;

use crate::trust::ExtraRoots;
use crate::{Error, Result};

/// Bodies larger than this are not read further (a health body is small;
/// a huge one must not exhaust memory).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Whether a probe follows redirects. Auth probes must not: a redirect to a
/// login page is not proof that an API refuses anonymous callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redirects {
    Follow,
    Keep,
}

/// The two clients every run shares, with the environment's trust roots.
#[derive(Debug, Clone)]
pub struct HttpClients {
    /// Follows up to five redirects (health, base URL, metrics).
    pub follow: reqwest::Client,
    /// Never follows (auth, rate limit, error shape).
    pub keep: reqwest::Client,
}

impl HttpClients {
    pub fn new(extra: &ExtraRoots, timeout: Duration) -> Result<Self> {
        Ok(HttpClients {
            follow: client(extra, timeout, Redirects::Follow)?,
            keep: client(extra, timeout, Redirects::Keep)?,
        })
    }

    pub fn get(&self, redirects: Redirects) -> &reqwest::Client {
        match redirects {
            Redirects::Follow => &self.follow,
            Redirects::Keep => &self.keep,
        }
    }
}

pub fn client(
    extra: &ExtraRoots,
    timeout: Duration,
    redirects: Redirects,
) -> Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!("readyroom/", env!("CARGO_PKG_VERSION")))
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(match redirects {
            Redirects::Follow => reqwest::redirect::Policy::limited(5),
            Redirects::Keep => reqwest::redirect::Policy::none(),
        });
    if !extra.pem.is_empty() {
        for cert in reqwest::Certificate::from_pem_bundle(&extra.pem)
            .map_err(|e| Error::HttpClient(e.to_string()))?
        {
            builder = builder.add_root_certificate(cert);
        }
    }
    builder
        .build()
        .map_err(|e| Error::HttpClient(e.to_string()))
}

/// GETs `url` and records what happened. Never fails: a failure is evidence.
pub async fn probe(client: &reqwest::Client, url: &str, timeout: Duration) -> HttpProbe {
    let at = OffsetDateTime::now_utc();
    let started = Instant::now();
    // The client has the same timeout; this outer one also bounds reading
    // the body, so a server that trickles bytes cannot hold the run.
    let result = tokio::time::timeout(timeout, request(client, url, started)).await;
    let (outcome, elapsed_ms) = match result {
        Ok(Ok((response, head_ms))) => (HttpOutcome::Response(response), head_ms),
        Ok(Err(ProbeFailure::Timeout { .. })) | Err(_) => (
            HttpOutcome::Failed(ProbeFailure::Timeout {
                after_ms: timeout.as_millis() as u64,
            }),
            started.elapsed().as_secs_f64() * 1000.0,
        ),
        Ok(Err(failure)) => (
            HttpOutcome::Failed(failure),
            started.elapsed().as_secs_f64() * 1000.0,
        ),
    };
    HttpProbe {
        url: url.to_string(),
        at,
        elapsed_ms: (elapsed_ms * 10.0).round() / 10.0,
        outcome,
    }
}

async fn request(
    client: &reqwest::Client,
    url: &str,
    started: Instant,
) -> std::result::Result<(HttpResponse, f64), ProbeFailure> {
    let mut resp = client.get(url).send().await.map_err(|e| classify(&e))?;
    let head_ms = started.elapsed().as_secs_f64() * 1000.0;
    let status = resp.status().as_u16();
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in resp.headers() {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        headers
            .entry(name.as_str().to_string())
            .and_modify(|v| {
                v.push_str(", ");
                v.push_str(&value);
            })
            .or_insert(value);
    }
    let mut body = Vec::new();
    let mut truncated = false;
    while let Some(chunk) = resp.chunk().await.map_err(|e| classify(&e))? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            truncated = true;
            break;
        }
        body.extend_from_slice(&chunk);
    }
    let json = if truncated {
        None
    } else {
        serde_json::from_slice(&body).ok()
    };
    Ok((
        HttpResponse {
            status,
            headers,
            json,
        },
        head_ms,
    ))
}

/// Turns a client error into the failure an operator recognises.
pub fn classify(err: &reqwest::Error) -> ProbeFailure {
    if err.is_timeout() {
        return ProbeFailure::Timeout { after_ms: 0 };
    }
    let chain = error_chain(err);
    let lower = chain.to_ascii_lowercase();
    let mut source = err.source();
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::ConnectionRefused {
                return ProbeFailure::ConnectionRefused;
            }
        }
        if s.downcast_ref::<rustls::Error>().is_some() {
            return ProbeFailure::Tls {
                detail: s.to_string(),
            };
        }
        source = s.source();
    }
    if lower.contains("dns error") || lower.contains("failed to lookup address") {
        ProbeFailure::Dns {
            detail: innermost(err),
        }
    } else if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake")
    {
        ProbeFailure::Tls {
            detail: innermost(err),
        }
    } else {
        ProbeFailure::Other { detail: chain }
    }
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

fn innermost(err: &dyn std::error::Error) -> String {
    let mut last = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        last = s.to_string();
        source = s.source();
    }
    last
}
