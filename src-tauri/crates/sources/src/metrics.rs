//! The Prometheus metrics endpoint: reachable, and in the text format?

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::OnceCell;

use prometheus_parse::LineInfo;
use readyroom_core::config::Environment;
use readyroom_core::evidence::inputs::METRICS;
use readyroom_core::evidence::{InputId, MetricsOutcome, MetricsProbe, ProbeFailure, Redirect};

use crate::http::{self, HttpClients, Redirects};
use crate::source::{BoxFuture, Findings, RunContext, Source};

/// The configured metrics URL, as a source.
pub struct MetricsSource;

impl Source for MetricsSource {
    fn label(&self) -> &'static str {
        "metrics"
    }

    fn provides(&self) -> &'static [InputId] {
        &[METRICS.id]
    }

    fn configured(&self, env: &Environment) -> bool {
        env.metrics_url.is_some()
    }

    fn gather<'a>(&'a self, ctx: &'a RunContext<'a>) -> BoxFuture<'a, Findings> {
        Box::pin(async move {
            let mut findings = Findings::new(ctx);
            let Some(url) = &ctx.env.metrics_url else {
                return findings;
            };
            let p = probe(ctx.http, url.as_str(), ctx.timeout).await;
            let result = match &p.outcome {
                MetricsOutcome::Failed(f) => Err(f.to_string()),
                _ => Ok(()),
            };
            let target = p.url.clone();
            findings.set(&METRICS, Ok(p));
            findings.seen(target, result)
        })
    }
}

/// Reads the exposition text and counts metric families.
pub fn parse_exposition(text: &str) -> MetricsOutcome {
    let mut families = BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        match LineInfo::parse(line) {
            LineInfo::Type {
                metric_name,
                metric_alias,
                ..
            } => {
                families.insert(metric_alias.unwrap_or(metric_name));
            }
            LineInfo::Sample { metric_name, .. } => {
                let base = ["_bucket", "_sum", "_count", "_total", "_created"]
                    .iter()
                    .find_map(|s| metric_name.strip_suffix(s))
                    .unwrap_or(metric_name);
                if !families.contains(metric_name) {
                    families.insert(base.to_string());
                }
            }
            LineInfo::Ignored if !line.trim_start().starts_with('#') => {
                let shown: String = line.chars().take(60).collect();
                return MetricsOutcome::Unparseable {
                    detail: format!("line {} is not a sample: {shown:?}", i + 1),
                };
            }
            _ => {}
        }
    }
    MetricsOutcome::Parsed {
        families: families.len(),
    }
}

pub async fn probe(clients: &HttpClients, url: &str, timeout: Duration) -> MetricsProbe {
    let at = time::OffsetDateTime::now_utc();
    // Bounds the whole exchange, body included: a trickling server costs
    // the probe timeout, no more.
    let outcome = match tokio::time::timeout(timeout, fetch(clients, url)).await {
        Ok(outcome) => outcome,
        Err(_) => MetricsOutcome::Failed(readyroom_core::evidence::ProbeFailure::Timeout {
            after_ms: timeout.as_millis() as u64,
        }),
    };
    MetricsProbe {
        url: url.to_string(),
        at,
        outcome,
    }
}

async fn fetch(clients: &HttpClients, url: &str) -> MetricsOutcome {
    match &*fetch_text(clients, url).await {
        Fetched::Text(text) => parse_exposition(text),
        Fetched::Failed(outcome) => outcome.clone(),
    }
}

/// An exposition's text, or the outcome that says why there is none.
#[derive(Debug)]
pub enum Fetched {
    Text(String),
    Failed(MetricsOutcome),
}

/// The expositions of one run, each fetched once (see [`fetch_text`]).
pub(crate) type Expositions = Arc<Mutex<HashMap<String, Arc<OnceCell<Arc<Fetched>>>>>>;

/// GETs an exposition under the probe rules (redirects only to the same
/// host, the body read up to the exposition cap), once per URL per set of
/// clients: a second reader of the same URL waits for the first's answer.
pub async fn fetch_text(clients: &HttpClients, url: &str) -> Arc<Fetched> {
    let cell = {
        let mut map = clients
            .expositions
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        map.entry(url.to_string()).or_default().clone()
    };
    cell.get_or_init(|| async { Arc::new(fetch_once(clients, url).await) })
        .await
        .clone()
}

async fn fetch_once(clients: &HttpClients, url: &str) -> Fetched {
    // The client's own timeout fires as a reqwest error, which does not
    // say how long it waited; the clients know.
    let failed = |e: &reqwest::Error| {
        Fetched::Failed(MetricsOutcome::Failed(match http::classify(e) {
            ProbeFailure::Timeout { .. } => ProbeFailure::Timeout {
                after_ms: clients.timeout.as_millis() as u64,
            },
            other => other,
        }))
    };
    let mut resp = match clients.get(Redirects::Follow, url).await {
        Ok(r) => r,
        Err(e) => return failed(&e),
    };
    if let Some(Redirect::Refused { to, reason }) = http::refused_redirect(&resp) {
        return Fetched::Failed(MetricsOutcome::Redirected { to, reason });
    }
    let status = resp.status().as_u16();
    if !resp.status().is_success() {
        return Fetched::Failed(MetricsOutcome::HttpStatus { status });
    }
    match http::read_capped(&mut resp, http::MAX_EXPOSITION_BYTES).await {
        Ok(body) if body.cut => Fetched::Failed(MetricsOutcome::TooLarge {
            limit_bytes: http::MAX_EXPOSITION_BYTES as u64,
        }),
        // Valid UTF-8 (the format's encoding) is taken as is, not copied.
        Ok(body) => Fetched::Text(
            String::from_utf8(body.bytes)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
        ),
        Err(e) => failed(&e),
    }
}

impl Fetched {
    /// Why there is no text, in words.
    pub fn reason(outcome: &MetricsOutcome) -> String {
        match outcome {
            MetricsOutcome::HttpStatus { status } => format!("answered HTTP {status}"),
            MetricsOutcome::Redirected { to, reason } => {
                format!("redirected to {to}, not followed: {reason}")
            }
            MetricsOutcome::TooLarge { limit_bytes } => {
                format!(
                    "the exposition is larger than {limit_bytes} bytes; Readyroom stopped reading"
                )
            }
            MetricsOutcome::Failed(f) => f.to_string(),
            MetricsOutcome::Unparseable { detail } => {
                format!("not in the Prometheus text format: {detail}")
            }
            MetricsOutcome::Parsed { .. } => "parsed".to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_families_in_text_format() {
        let text = "# HELP http_requests_total Requests.\n# TYPE http_requests_total counter\nhttp_requests_total{route=\"/\"} 3\n# TYPE latency histogram\nlatency_bucket{le=\"0.1\"} 1\nlatency_sum 0.2\nlatency_count 1\nup 1\n";
        assert_eq!(
            parse_exposition(text),
            MetricsOutcome::Parsed { families: 3 }
        );
    }

    #[test]
    fn html_is_unparseable() {
        let outcome = parse_exposition("<html><body>Not here</body></html>");
        assert!(
            matches!(outcome, MetricsOutcome::Unparseable { .. }),
            "{outcome:?}"
        );
    }
}
