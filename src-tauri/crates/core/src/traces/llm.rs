//! The LLM lens: calls to upstreams (LLM APIs, by their `gen_ai.*`
//! attributes, or configured hosts) as logical calls. An application that
//! retries makes one CLIENT span per attempt under the same parent; the
//! lens groups those attempts into one call with each attempt's outcome
//! (429, 5xx, timeout…), the waits between them (backoff, and
//! `Retry-After` where the span recorded it), the final outcome, and the
//! tokens (`gen_ai.usage.*`). It also judges, per trace, whether the
//! failures were absorbed: the request that made them still succeeded.

use serde::Serialize;
use ts_rs::TS;

use super::assembly::Trace;
use super::span::{Span, SpanKind, Value};
use super::stats::{http_status, is_failed_request};

/// Which CLIENT spans are calls to an upstream.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Upstreams {
    /// Hosts counted as upstreams besides LLM calls (`server.address`, or
    /// the host of `url.full`).
    hosts: Vec<String>,
}

impl Upstreams {
    pub fn new(hosts: impl IntoIterator<Item = String>) -> Upstreams {
        Upstreams {
            hosts: hosts.into_iter().map(|h| h.to_ascii_lowercase()).collect(),
        }
    }

    pub fn hosts(&self) -> &[String] {
        &self.hosts
    }

    /// A CLIENT span to an LLM (any `gen_ai.*` attribute) or a configured host.
    pub fn is_upstream(&self, span: &Span) -> bool {
        span.kind == SpanKind::Client
            && (is_llm(span)
                || host_of(span)
                    .is_some_and(|h| self.hosts.iter().any(|c| c.eq_ignore_ascii_case(h))))
    }
}

/// A span carrying the GenAI semantic conventions' attributes.
pub fn is_llm(span: &Span) -> bool {
    span.attributes
        .0
        .iter()
        .any(|(k, _)| k.starts_with("gen_ai."))
}

/// The host a client span called: `server.address`, the older
/// `net.peer.name`, else the host of `url.full` (or `http.url`).
pub fn host_of(span: &Span) -> Option<&str> {
    let attrs = &span.attributes;
    attrs
        .str("server.address")
        .or_else(|| attrs.str("net.peer.name"))
        .or_else(|| {
            let url = attrs.str("url.full").or_else(|| attrs.str("http.url"))?;
            let rest = url.split_once("://")?.1;
            let authority = rest.split(['/', '?', '#']).next()?;
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            Some(host.split(':').next().unwrap_or(host))
        })
        .filter(|h| !h.is_empty())
}

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum AttemptOutcome {
    Ok,
    /// HTTP 429.
    RateLimited,
    /// HTTP 5xx.
    ServerError {
        status: u16,
    },
    /// The span says it timed out (`error.type`, an exception, its status).
    Timeout,
    /// HTTP 4xx other than 429: the request itself was refused.
    ClientError {
        status: u16,
    },
    /// Failed some other way (a refused connection, …), with why.
    Failed {
        reason: String,
    },
}

impl AttemptOutcome {
    pub fn of(span: &Span) -> AttemptOutcome {
        let status = http_status(span).and_then(|s| u16::try_from(s).ok());
        match status {
            Some(429) => return AttemptOutcome::RateLimited,
            Some(s @ 500..=599) => return AttemptOutcome::ServerError { status: s },
            _ => {}
        }
        if timed_out(span) {
            return AttemptOutcome::Timeout;
        }
        match status {
            Some(s @ 400..=499) => AttemptOutcome::ClientError { status: s },
            _ if span.is_error() => AttemptOutcome::Failed {
                reason: span
                    .attributes
                    .str("error.type")
                    .filter(|r| !r.is_empty())
                    .unwrap_or(&span.status_message)
                    .to_string(),
            },
            _ => AttemptOutcome::Ok,
        }
    }

    pub fn is_ok(&self) -> bool {
        *self == AttemptOutcome::Ok
    }

    /// The failures RUBRIC.md's `rel.upstream_absorbed` counts: 429, 5xx,
    /// timeouts (the upstream's trouble, which a resilient caller absorbs).
    pub fn is_upstream_failure(&self) -> bool {
        matches!(
            self,
            AttemptOutcome::RateLimited
                | AttemptOutcome::ServerError { .. }
                | AttemptOutcome::Timeout
        )
    }
}

fn timed_out(span: &Span) -> bool {
    let says = |text: &str| {
        let text = text.to_ascii_lowercase();
        text.contains("timeout") || text.contains("timed out") || text.contains("deadline")
    };
    span.attributes.str("error.type").is_some_and(says)
        || span
            .events
            .iter()
            .any(|e| e.name == "exception" && e.attributes.str("exception.type").is_some_and(says))
        || (span.is_error() && says(&span.status_message))
}

/// Seconds the upstream asked to wait, where the span recorded the
/// response header (`http.response.header.retry-after`, a string array
/// by the semantic conventions, or a plain value).
fn retry_after_seconds(span: &Span) -> Option<f64> {
    let value = span.attributes.get("http.response.header.retry-after")?;
    let text = match value {
        Value::Array(items) => items.first()?.as_str()?.to_string(),
        Value::String(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Double(d) => d.to_string(),
        _ => return None,
    };
    text.trim().parse::<f64>().ok().filter(|s| *s >= 0.0)
}

fn tokens(span: &Span, keys: [&str; 2]) -> u64 {
    keys.iter()
        .find_map(|k| span.attributes.i64(k))
        .and_then(|n| u64::try_from(n).ok())
        .unwrap_or(0)
}

/// One attempt of a call.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    /// Index of the span in the trace.
    pub span: usize,
    pub outcome: AttemptOutcome,
    #[ts(type = "number")]
    pub duration_nanos: u64,
    /// The wait since the previous attempt ended (backoff or Retry-After).
    #[ts(type = "number | null")]
    pub wait_before_nanos: Option<u64>,
    /// What the upstream asked, when the span recorded it.
    pub retry_after_seconds: Option<f64>,
}

/// One logical call: its attempts, in order.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct UpstreamCall {
    /// The span the attempts hang under, if any.
    pub parent: Option<usize>,
    /// The first attempt's span name.
    pub name: String,
    /// `gen_ai.system` (or `gen_ai.provider.name`), else the host.
    pub upstream: Option<String>,
    pub model: Option<String>,
    pub attempts: Vec<Attempt>,
    /// Summed over the attempts (`gen_ai.usage.input_tokens`/`output_tokens`,
    /// or the older `prompt_tokens`/`completion_tokens`).
    #[ts(type = "number")]
    pub input_tokens: u64,
    #[ts(type = "number")]
    pub output_tokens: u64,
    /// From the first attempt's start to the last one's end.
    #[ts(type = "number")]
    pub duration_nanos: u64,
}

impl UpstreamCall {
    /// The last attempt's outcome: what the caller was left with.
    pub fn outcome(&self) -> &AttemptOutcome {
        &self
            .attempts
            .last()
            .expect("a call has at least one attempt")
            .outcome
    }

    pub fn retries(&self) -> usize {
        self.attempts.len().saturating_sub(1)
    }
}

/// What identifies attempts of the same call under one parent.
fn call_key(span: &Span) -> (String, Option<&str>, Option<&str>) {
    (
        span.service.clone(),
        span.attributes
            .str("gen_ai.request.model")
            .or_else(|| host_of(span)),
        span.attributes.str("gen_ai.operation.name"),
    )
}

/// Clock skew allowed between one attempt's end and the next one's start.
const SKEW_NANOS: u64 = 1_000_000;

/// The trace's upstream calls, each with its attempts, in start order. An
/// attempt continues a call under the same parent, to the same upstream
/// and model, whose last attempt failed and had ended when it started;
/// otherwise (the first, or calls made side by side) it starts a call.
pub fn upstream_calls(trace: &Trace, upstreams: &Upstreams) -> Vec<UpstreamCall> {
    let mut attempts: Vec<usize> = (0..trace.spans.len())
        .filter(|&i| upstreams.is_upstream(&trace.spans[i]))
        .collect();
    attempts.sort_by_key(|&i| (trace.spans[i].start_unix_nano, i));
    let mut calls: Vec<UpstreamCall> = Vec::new();
    for i in attempts {
        let span = &trace.spans[i];
        let outcome = AttemptOutcome::of(span);
        let continues = calls.iter().rposition(|call| {
            let last = call.attempts.last().expect("non-empty");
            let last_span = &trace.spans[last.span];
            call.parent == trace.parent[i]
                && call_key(last_span) == call_key(span)
                && !last.outcome.is_ok()
                && last_span.end_unix_nano <= span.start_unix_nano + SKEW_NANOS
        });
        let attempt = Attempt {
            span: i,
            outcome,
            duration_nanos: span.duration_nanos(),
            wait_before_nanos: None,
            retry_after_seconds: retry_after_seconds(span),
        };
        let (input, output) = (
            tokens(
                span,
                ["gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"],
            ),
            tokens(
                span,
                [
                    "gen_ai.usage.output_tokens",
                    "gen_ai.usage.completion_tokens",
                ],
            ),
        );
        match continues {
            Some(c) => {
                let call = &mut calls[c];
                let previous_end =
                    trace.spans[call.attempts.last().expect("non-empty").span].end_unix_nano;
                let first_start = trace.spans[call.attempts[0].span].start_unix_nano;
                call.attempts.push(Attempt {
                    wait_before_nanos: Some(span.start_unix_nano.saturating_sub(previous_end)),
                    ..attempt
                });
                call.input_tokens += input;
                call.output_tokens += output;
                call.duration_nanos = span.end_unix_nano.saturating_sub(first_start);
            }
            None => calls.push(UpstreamCall {
                parent: trace.parent[i],
                name: span.name.clone(),
                upstream: span
                    .attributes
                    .str("gen_ai.system")
                    .or_else(|| span.attributes.str("gen_ai.provider.name"))
                    .or_else(|| host_of(span))
                    .map(str::to_string),
                model: span
                    .attributes
                    .str("gen_ai.request.model")
                    .map(str::to_string),
                attempts: vec![attempt],
                input_tokens: input,
                output_tokens: output,
                duration_nanos: span.duration_nanos(),
            }),
        }
    }
    calls
}

/// The request a span was made for: its root in the tree.
fn root_of(trace: &Trace, mut i: usize) -> usize {
    // Assembly broke every cycle, so this ends; the bound is a backstop.
    for _ in 0..trace.spans.len() {
        match trace.parent[i] {
            Some(p) => i = p,
            None => break,
        }
    }
    i
}

/// Upstream failures in traces, and whether the requests absorbed them
/// (RUBRIC.md, `rel.upstream_absorbed`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Absorption {
    /// Attempts that failed with 429, 5xx or a timeout.
    pub failed_attempts: u64,
    /// Of those, how many sat under a request that still succeeded.
    pub absorbed: u64,
    /// Attempts that followed a failed attempt of the same call.
    pub retries: u64,
    /// Calls whose last attempt still failed (the caller gave up).
    pub calls_given_up: u64,
}

impl Absorption {
    /// Folds one trace's calls in.
    pub fn add(&mut self, trace: &Trace, calls: &[UpstreamCall]) {
        for call in calls {
            self.retries += call.retries() as u64;
            if !call.outcome().is_ok() {
                self.calls_given_up += 1;
            }
            for attempt in &call.attempts {
                if attempt.outcome.is_upstream_failure() {
                    self.failed_attempts += 1;
                    let root = &trace.spans[root_of(trace, attempt.span)];
                    // A root that is the attempt itself (no request span
                    // arrived) absorbed nothing.
                    let absorbed =
                        root_of(trace, attempt.span) != attempt.span && !is_failed_request(root);
                    self.absorbed += u64::from(absorbed);
                }
            }
        }
    }

    pub fn merge(&mut self, other: &Absorption) {
        self.failed_attempts += other.failed_attempts;
        self.absorbed += other.absorbed;
        self.retries += other.retries;
        self.calls_given_up += other.calls_given_up;
    }
}
