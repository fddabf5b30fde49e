//! The Prometheus metrics endpoint: reachable, and in the text format?

use std::collections::BTreeSet;
use std::time::Duration;

use prometheus_parse::LineInfo;
use readyroom_core::config::Environment;
use readyroom_core::evidence::inputs::METRICS;
use readyroom_core::evidence::{InputId, MetricsOutcome, MetricsProbe};

use crate::http;
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
            let p = probe(&ctx.http.follow, url.as_str(), ctx.timeout).await;
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

pub async fn probe(client: &reqwest::Client, url: &str, timeout: Duration) -> MetricsProbe {
    let at = time::OffsetDateTime::now_utc();
    let outcome = match tokio::time::timeout(timeout, fetch(client, url)).await {
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

async fn fetch(client: &reqwest::Client, url: &str) -> MetricsOutcome {
    let resp = match client.get(url).send().await {
        Ok(r) => r,
        Err(e) => return MetricsOutcome::Failed(http::classify(&e)),
    };
    let status = resp.status().as_u16();
    if !resp.status().is_success() {
        return MetricsOutcome::HttpStatus { status };
    }
    if resp
        .content_length()
        .is_some_and(|n| n as usize > 16 * http::MAX_BODY_BYTES)
    {
        return MetricsOutcome::Unparseable {
            detail: "the exposition is larger than 16 MiB".into(),
        };
    }
    match resp.text().await {
        Ok(text) => parse_exposition(&text),
        Err(e) => MetricsOutcome::Failed(http::classify(&e)),
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
