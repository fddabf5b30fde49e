//! Traces read where a team keeps them: Grafana Tempo (`/api/search` with
//! TraceQL, `/api/traces/<id>`) and Jaeger (the `/api/v3` query API).
//! Readyroom reads them on demand and copies nothing into its own store.
//!
//! Every request carries the environment's token (from the keychain) only
//! through the client that never follows redirects, has the client's timeout,
//! and reads at most `MAX_TRACE_BYTES` of an answer.

mod jaeger;
mod metrics;
mod sample;
mod tempo;

pub use metrics::{Instant, Series, FAILED_REQUEST};
pub use sample::MAX_SAMPLE_TRACES;

use readyroom_core::traces::{Span, TraceFilter, TraceId, TraceLine, TraceOrder};
use readyroom_core::Sensitive;
use url::Url;

use crate::http::{classify, read_capped};
use crate::otlp::{lenient, to_spans};

/// An answer larger than this is refused rather than read (a 100,000-span
/// trace as JSON is well under it).
pub const MAX_TRACE_BYTES: usize = 256 * 1024 * 1024;

/// Which engine an environment's traces live in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Tempo,
    Jaeger,
}

impl Engine {
    pub fn name(self) -> &'static str {
        match self {
            Engine::Tempo => "Tempo",
            Engine::Jaeger => "Jaeger",
        }
    }
}

/// What to look for in a window. Service and route are the entry span's
/// where the engine can say so (Tempo's `trace:rootService`), else any
/// request span's.
#[derive(Debug, Clone, Default)]
pub struct Search {
    pub from_ns: u64,
    pub to_ns: u64,
    pub filter: TraceFilter,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum QueryError {
    #[error("{engine} at {url} did not answer: {detail}. Check the URL in [environments.NAME.traces] and that {engine} is reachable from this machine")]
    Unreachable {
        engine: &'static str,
        url: String,
        detail: String,
    },
    #[error("{engine} at {url} refused the credentials (HTTP {status}). Check the token in the keychain entry named by token_secret{org}")]
    Refused {
        engine: &'static str,
        url: String,
        status: u16,
        org: &'static str,
    },
    #[error("{engine} at {url} answered HTTP {status}: {detail}")]
    Status {
        engine: &'static str,
        url: String,
        status: u16,
        detail: String,
    },
    #[error("{engine} at {url} answered with something that is not trace data: {detail}")]
    Malformed {
        engine: &'static str,
        url: String,
        detail: String,
    },
    #[error("{engine} at {url} answered with more than {} MiB; Readyroom stopped reading it", MAX_TRACE_BYTES / 1024 / 1024)]
    TooLarge { engine: &'static str, url: String },
    #[error("{0}")]
    Unsupported(String),
}

/// The engine and URL an environment's traces are read from
/// (`[environments.NAME.traces] tempo_url`, else `jaeger_url`), if any.
pub fn configured(env: &readyroom_core::config::Environment) -> Option<(Engine, Url)> {
    let traces = env.traces.as_ref()?;
    match (&traces.tempo_url, &traces.jaeger_url) {
        (Some(url), _) => Some((Engine::Tempo, url.clone())),
        (None, Some(url)) => Some((Engine::Jaeger, url.clone())),
        (None, None) => None,
    }
}

/// A search or a trace of 100,000 spans takes longer than a probe: a
/// query gets this much or the environment's probe timeout, the longer.
pub const QUERY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// A Tempo or Jaeger query endpoint with its credentials.
#[derive(Clone)]
pub struct TraceQuery {
    engine: Engine,
    base: Url,
    client: reqwest::Client,
    token: Option<Sensitive<String>>,
    /// Tempo's tenant (`X-Scope-OrgID`).
    org_id: Option<String>,
}

impl std::fmt::Debug for TraceQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TraceQuery")
            .field("engine", &self.engine)
            .field("base", &self.base.as_str())
            .field("token", &self.token.as_ref().map(|_| "(set)"))
            .field("org_id", &self.org_id)
            .finish()
    }
}

impl TraceQuery {
    /// `client` must be one that never follows redirects (it carries the
    /// token): `HttpClients::with_credentials`.
    pub fn new(
        engine: Engine,
        base: Url,
        client: reqwest::Client,
        token: Option<Sensitive<String>>,
        org_id: Option<String>,
    ) -> TraceQuery {
        TraceQuery {
            engine,
            base,
            client,
            token,
            org_id,
        }
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// Where it reads, for messages and evidence (no credentials in it).
    pub fn url(&self) -> &str {
        self.base.as_str()
    }

    /// Traces matching `search`, newest (or slowest) first, at most
    /// `search.filter.limit`. Slowest is among the traces the engine
    /// answers with, which are its newest.
    pub async fn search(&self, search: &Search) -> Result<Vec<TraceLine>, QueryError> {
        let mut found = match self.engine {
            Engine::Tempo => tempo::search(self, search).await?,
            Engine::Jaeger => jaeger::search(self, search).await?,
        };
        match search.filter.order {
            TraceOrder::Newest => found.sort_by_key(|t| std::cmp::Reverse(t.start_ns)),
            TraceOrder::Slowest => found.sort_by_key(|t| {
                (
                    std::cmp::Reverse(t.duration_ns),
                    std::cmp::Reverse(t.start_ns),
                )
            }),
        }
        found.truncate(search.filter.limit as usize);
        Ok(found)
    }

    /// Every span of a trace; empty when the engine does not have it.
    pub async fn trace(&self, id: TraceId) -> Result<Vec<Span>, QueryError> {
        match self.engine {
            Engine::Tempo => tempo::trace(self, id).await,
            Engine::Jaeger => jaeger::trace(self, id).await,
        }
    }

    fn endpoint(&self, path: &str) -> Url {
        let mut url = self.base.clone();
        let joined = format!("{}/{}", url.path().trim_end_matches('/'), path);
        url.set_path(&joined);
        url
    }

    /// GETs `url` with the credentials; `Ok(None)` for 404 (nothing
    /// found), the body and its content type otherwise.
    async fn get(&self, url: Url, accept: &str) -> Result<Option<(String, Vec<u8>)>, QueryError> {
        let shown = self.base.to_string();
        let engine = self.engine.name();
        let mut request = self.client.get(url).header(reqwest::header::ACCEPT, accept);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token.expose());
        }
        if let Some(org) = &self.org_id {
            request = request.header("X-Scope-OrgID", org);
        }
        let mut response = request.send().await.map_err(|e| QueryError::Unreachable {
            engine,
            url: shown.clone(),
            detail: classify(&e).to_string(),
        })?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
            return Err(QueryError::Refused {
                engine,
                url: shown,
                status: status.as_u16(),
                org: if self.engine == Engine::Tempo {
                    " and the tenant in org_id"
                } else {
                    ""
                },
            });
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let body = read_capped(&mut response, MAX_TRACE_BYTES)
            .await
            .map_err(|e| QueryError::Unreachable {
                engine,
                url: shown.clone(),
                detail: classify(&e).to_string(),
            })?;
        if body.cut {
            return Err(QueryError::TooLarge { engine, url: shown });
        }
        if !status.is_success() {
            let text = String::from_utf8_lossy(&body.bytes);
            let detail: String = text.trim().chars().take(300).collect();
            return Err(QueryError::Status {
                engine,
                url: shown,
                status: status.as_u16(),
                detail: if detail.is_empty() {
                    "no detail given".into()
                } else {
                    detail
                },
            });
        }
        Ok(Some((content_type, body.bytes)))
    }

    fn malformed(&self, detail: impl Into<String>) -> QueryError {
        QueryError::Malformed {
            engine: self.engine.name(),
            url: self.base.to_string(),
            detail: detail.into(),
        }
    }

    /// Spans from an OTLP/JSON answer in any dialect `lenient` reads.
    fn spans_from_json(&self, body: &[u8]) -> Result<Vec<Span>, QueryError> {
        let value: serde_json::Value =
            serde_json::from_slice(body).map_err(|e| self.malformed(e.to_string()))?;
        let request = lenient::to_request(value).map_err(|e| self.malformed(e))?;
        Ok(to_spans(request).spans)
    }
}

/// Spans grouped by trace, in the order each trace first appears; every
/// group has at least one span.
fn by_trace(spans: Vec<Span>) -> Vec<Vec<Span>> {
    let mut index: std::collections::HashMap<TraceId, usize> = Default::default();
    let mut groups: Vec<Vec<Span>> = Vec::new();
    for span in spans {
        let i = *index.entry(span.trace_id).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[i].push(span);
    }
    groups
}

/// Lines for whole traces (Jaeger answers a search with every span of
/// every trace it found), keeping the traces with a request to `route`
/// when one is given.
fn summarize(traces: Vec<Vec<Span>>, route: Option<&str>) -> Vec<TraceLine> {
    traces
        .into_iter()
        .filter(|spans| {
            route.is_none_or(|route| {
                spans.iter().any(|s| {
                    s.kind == readyroom_core::traces::SpanKind::Server
                        && readyroom_core::traces::route_of(s) == route
                })
            })
        })
        .filter_map(|spans| {
            let trace_id = spans.first()?.trace_id;
            let start = spans.iter().map(|s| s.start_unix_nano).min().unwrap_or(0);
            let end = spans.iter().map(|s| s.end_unix_nano).max().unwrap_or(start);
            let root = spans
                .iter()
                .filter(|s| s.parent_span_id.is_none())
                .min_by_key(|s| s.start_unix_nano);
            Some(TraceLine {
                trace_id,
                start_ns: start,
                duration_ns: end.saturating_sub(start),
                root_service: root.map(|s| s.service.clone()),
                root_name: root.map(|s| s.name.clone()),
                route: route.map(str::to_string),
                spans: Some(spans.len() as u64),
                error_spans: Some(spans.iter().filter(|s| s.is_error()).count() as u64),
            })
        })
        .collect()
}
