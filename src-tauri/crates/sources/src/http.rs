//! HTTP probes: one request, its status, headers, latency and (small) body.

use std::collections::BTreeMap;
use std::error::Error as _;
use std::time::{Duration, Instant};

use readyroom_core::evidence::{HttpOutcome, HttpProbe, HttpResponse, ProbeFailure, Redirect};
use time::OffsetDateTime;
use url::Url;

use crate::trust::ExtraRoots;
use crate::{Error, Result};

/// Health and other JSON bodies longer than this are not read further (a
/// health body is small; a huge one must not exhaust memory).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A Prometheus exposition longer than this is not read further.
pub const MAX_EXPOSITION_BYTES: usize = 16 * 1024 * 1024;

/// How many redirects the following client takes before it stops.
const MAX_REDIRECTS: usize = 5;

/// Whether a probe follows redirects. Auth probes must not: a redirect to a
/// login page is not proof that an API refuses anonymous callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redirects {
    Follow,
    Keep,
}

/// The two clients every run shares, with the environment's trust roots.
///
/// The redirect-following client is reachable only through [`Self::get`],
/// a plain GET with no way to add headers, so it can never be the client
/// that carries credentials to wherever a redirect points. Requests with
/// credentials go through [`Self::with_credentials`], which never follows.
#[derive(Debug, Clone)]
pub struct HttpClients {
    /// Follows up to five redirects on the same host, never HTTPS to HTTP.
    follow: reqwest::Client,
    /// Never follows (auth, rate limit, error shape, anything with a secret).
    keep: reqwest::Client,
    /// Expositions fetched in this run, by URL: the metrics check and the
    /// app pool read the same one with one GET and one body in memory.
    pub(crate) expositions: crate::metrics::Expositions,
    /// The per-request timeout both clients were built with.
    pub(crate) timeout: Duration,
}

impl HttpClients {
    pub fn new(extra: &ExtraRoots, timeout: Duration) -> Result<Self> {
        Ok(HttpClients {
            follow: client(extra, timeout, Redirects::Follow)?,
            keep: client(extra, timeout, Redirects::Keep)?,
            expositions: Default::default(),
            timeout,
        })
    }

    /// A plain, credential-free GET of `url`.
    pub async fn get(&self, redirects: Redirects, url: &str) -> reqwest::Result<reqwest::Response> {
        let client = match redirects {
            Redirects::Follow => &self.follow,
            Redirects::Keep => &self.keep,
        };
        client.get(url).send().await
    }

    /// The client for requests that carry a secret: it never follows a
    /// redirect, so the secret goes only where the config says.
    pub fn with_credentials(&self) -> &reqwest::Client {
        &self.keep
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
            Redirects::Follow => follow_policy(),
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

/// Follows a redirect only on the same host and never from HTTPS to HTTP;
/// otherwise it stops, and the 3xx is the answer (see [`refused_redirect`]).
fn follow_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let refused = attempt
            .previous()
            .last()
            .and_then(|from| refusal(from, attempt.url()));
        if refused.is_some() || attempt.previous().len() > MAX_REDIRECTS {
            attempt.stop()
        } else {
            attempt.follow()
        }
    })
}

/// Why a redirect from `from` to `to` must not be followed, if it must not.
pub fn refusal(from: &Url, to: &Url) -> Option<&'static str> {
    if from.scheme() == "https" && to.scheme() != "https" {
        return Some("from HTTPS to HTTP");
    }
    if from.host() != to.host() {
        return Some("another host");
    }
    None
}

/// The redirect a following client stopped at, when `resp` is one: where it
/// points and why it was not followed.
pub fn refused_redirect(resp: &reqwest::Response) -> Option<Redirect> {
    if !matches!(resp.status().as_u16(), 301 | 302 | 303 | 307 | 308) {
        return None;
    }
    let location = resp
        .headers()
        .get(reqwest::header::LOCATION)?
        .to_str()
        .ok()?;
    let to = resp.url().join(location).ok()?;
    let reason = refusal(resp.url(), &to)
        .map(str::to_string)
        .unwrap_or_else(|| format!("more than {MAX_REDIRECTS} redirects"));
    Some(Redirect::Refused {
        to: to.to_string(),
        reason,
    })
}

/// A body read no further than a cap.
pub struct CappedBody {
    pub bytes: Vec<u8>,
    /// Set when the body went on past the cap (declared or streamed).
    pub cut: bool,
}

/// Reads `resp`'s body chunk by chunk, stopping at `cap` bytes: a chunked or
/// length-less body that never ends costs at most `cap` bytes of memory.
/// Callers bound the time it takes.
pub async fn read_capped(resp: &mut reqwest::Response, cap: usize) -> reqwest::Result<CappedBody> {
    if resp.content_length().is_some_and(|n| n > cap as u64) {
        return Ok(CappedBody {
            bytes: Vec::new(),
            cut: true,
        });
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        let room = cap - bytes.len();
        if chunk.len() > room {
            bytes.extend_from_slice(&chunk[..room]);
            return Ok(CappedBody { bytes, cut: true });
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(CappedBody { bytes, cut: false })
}

/// GETs `url` and records what happened. Never fails: a failure is evidence.
pub async fn probe(
    clients: &HttpClients,
    redirects: Redirects,
    url: &str,
    timeout: Duration,
) -> HttpProbe {
    let at = OffsetDateTime::now_utc();
    let started = Instant::now();
    // The client has the same timeout; this outer one also bounds reading
    // the body, so a server that trickles bytes cannot hold the run.
    let result = tokio::time::timeout(timeout, request(clients, redirects, url, started)).await;
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
    clients: &HttpClients,
    redirects: Redirects,
    url: &str,
    started: Instant,
) -> std::result::Result<(HttpResponse, f64), ProbeFailure> {
    let mut resp = clients
        .get(redirects, url)
        .await
        .map_err(|e| classify(&e))?;
    let head_ms = started.elapsed().as_secs_f64() * 1000.0;
    let status = resp.status().as_u16();
    let redirect = match redirects {
        Redirects::Keep => None,
        Redirects::Follow => refused_redirect(&resp).or_else(|| {
            let asked = Url::parse(url).ok()?;
            (resp.url() != &asked).then(|| Redirect::Followed {
                to: resp.url().to_string(),
            })
        }),
    };
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
    let body = read_capped(&mut resp, MAX_BODY_BYTES)
        .await
        .map_err(|e| classify(&e))?;
    let json = if body.cut {
        None
    } else {
        serde_json::from_slice(&body.bytes).ok()
    };
    Ok((
        HttpResponse {
            status,
            headers,
            json,
            body_cut_at: body.cut.then_some(MAX_BODY_BYTES as u64),
            redirect,
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
    if lower.contains("message head is too large") || lower.contains("too many headers") {
        return ProbeFailure::Other {
            detail: "the response head is too large (too many or too long headers); Readyroom stopped reading it".into(),
        };
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
