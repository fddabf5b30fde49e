//! What the probes observed: plain data that the checks judge.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// One HTTP request and what came of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpProbe {
    pub url: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Time to the response head (or to the failure).
    pub elapsed_ms: f64,
    pub outcome: HttpOutcome,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "camelCase")]
pub enum HttpOutcome {
    Response(HttpResponse),
    Failed(ProbeFailure),
}

impl HttpProbe {
    pub fn response(&self) -> Option<&HttpResponse> {
        match &self.outcome {
            HttpOutcome::Response(r) => Some(r),
            HttpOutcome::Failed(_) => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpResponse {
    pub status: u16,
    /// Header names lower-cased; repeated headers joined with ", ".
    pub headers: BTreeMap<String, String>,
    /// The body parsed as JSON, when it was JSON (and not too large).
    pub json: Option<serde_json::Value>,
    /// Set when the body was longer than Readyroom reads: it stopped after
    /// this many bytes (and did not parse the rest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_cut_at: Option<u64>,
    /// Where redirects led, or the one Readyroom refused to follow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect: Option<Redirect>,
}

/// A redirect seen by a probe that follows redirects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "camelCase")]
pub enum Redirect {
    /// The answer came from `to`, not from the URL asked.
    Followed { to: String },
    /// The answer is the redirect itself: following it to `to` was refused
    /// (`reason`: another host, HTTPS to HTTP, too many hops).
    Refused { to: String, reason: String },
}

impl std::fmt::Display for Redirect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Redirect::Followed { to } => write!(f, "it redirected to {to}"),
            Redirect::Refused { to, reason } => {
                write!(
                    f,
                    "it redirects to {to}, which Readyroom did not follow ({reason})"
                )
            }
        }
    }
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// What an explanation should add about how this answer was read: a
    /// redirect, or a body cut short. `None` when there is nothing to say.
    pub fn caveat(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let Some(r) = &self.redirect {
            parts.push(r.to_string());
        }
        if let Some(n) = self.body_cut_at {
            parts.push(format!(
                "its body is longer than {n} bytes, so Readyroom stopped reading there"
            ));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

/// Why a probe got no response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum ProbeFailure {
    Timeout { after_ms: u64 },
    ConnectionRefused,
    Dns { detail: String },
    Tls { detail: String },
    Other { detail: String },
}

impl std::fmt::Display for ProbeFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProbeFailure::Timeout { after_ms } => write!(f, "timed out after {after_ms} ms"),
            ProbeFailure::ConnectionRefused => f.write_str("connection refused"),
            ProbeFailure::Dns { detail } => write!(f, "name resolution failed ({detail})"),
            ProbeFailure::Tls { detail } => write!(f, "TLS failed ({detail})"),
            ProbeFailure::Other { detail } => f.write_str(detail),
        }
    }
}

/// The TLS handshake with the base URL.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TlsProbe {
    pub host: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub outcome: TlsOutcome,
}

/// A negotiated TLS version. Readyroom's TLS stack speaks only these two,
/// so anything older fails the handshake (and the check) instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TlsVersion {
    #[serde(rename = "TLSv1.2")]
    Tls12,
    #[serde(rename = "TLSv1.3")]
    Tls13,
}

impl std::fmt::Display for TlsVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TlsVersion::Tls12 => "TLSv1.2",
            TlsVersion::Tls13 => "TLSv1.3",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "camelCase")]
pub enum TlsOutcome {
    /// The handshake succeeded and the chain verified.
    Handshake {
        version: TlsVersion,
        #[serde(with = "time::serde::rfc3339")]
        not_after: OffsetDateTime,
    },
    /// The base URL is served over plain HTTP.
    PlainHttp,
    /// The handshake or verification failed (expired, untrusted, refused, ...).
    Failed { detail: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricsProbe {
    pub url: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub outcome: MetricsOutcome,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "camelCase")]
pub enum MetricsOutcome {
    Parsed {
        families: usize,
    },
    Unparseable {
        detail: String,
    },
    HttpStatus {
        status: u16,
    },
    /// A redirect Readyroom refused to follow (another host, HTTPS to HTTP).
    Redirected {
        to: String,
        reason: String,
    },
    /// The exposition was longer than Readyroom reads.
    TooLarge {
        limit_bytes: u64,
    },
    Failed(ProbeFailure),
}

/// A summary of stored health samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UptimeHistory {
    pub samples: u64,
    pub healthy: u64,
    #[serde(with = "time::serde::rfc3339")]
    pub first_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub last_at: OffsetDateTime,
}
