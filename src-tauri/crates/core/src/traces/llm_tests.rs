//! The LLM lens: attempts grouped into calls, outcomes, waits, tokens, and
//! whether failures were absorbed.

use super::tests::{id, index_of, span};
use super::*;

const MS: u64 = 1_000_000;

/// A request (span 0, SERVER) with `status` as its HTTP answer.
fn request(status: i64, end_ms: u64) -> Span {
    let mut s = span(0, None, 0, end_ms * MS);
    s.kind = SpanKind::Server;
    s.attributes
        .0
        .push(("http.response.status_code".into(), Value::Int(status)));
    if status >= 500 {
        s.status = StatusCode::Error;
    }
    s
}

/// An LLM attempt under `parent`, from `start_ms` to `end_ms`, answered
/// `status` (0: no HTTP answer).
fn attempt(n: u32, parent: u32, start_ms: u64, end_ms: u64, status: i64) -> Span {
    let mut s = span(n, Some(parent), start_ms * MS, end_ms * MS);
    s.kind = SpanKind::Client;
    s.service = "api".into();
    s.name = "chat sonnet".into();
    let attrs = &mut s.attributes.0;
    attrs.push(("gen_ai.system".into(), Value::String("anthropic".into())));
    attrs.push((
        "gen_ai.request.model".into(),
        Value::String("sonnet".into()),
    ));
    attrs.push(("gen_ai.operation.name".into(), Value::String("chat".into())));
    if status > 0 {
        attrs.push(("http.response.status_code".into(), Value::Int(status)));
    }
    if status >= 400 || status == 0 {
        s.status = StatusCode::Error;
    }
    s
}

fn tokens(mut s: Span, input: i64, output: i64) -> Span {
    s.attributes
        .0
        .push(("gen_ai.usage.input_tokens".into(), Value::Int(input)));
    s.attributes
        .0
        .push(("gen_ai.usage.output_tokens".into(), Value::Int(output)));
    s
}

fn timeout(mut s: Span) -> Span {
    s.attributes
        .0
        .push(("error.type".into(), Value::String("timeout".into())));
    s
}

fn retry_after(mut s: Span, seconds: &str) -> Span {
    s.attributes.0.push((
        "http.response.header.retry-after".into(),
        Value::Array(vec![Value::String(seconds.into())]),
    ));
    s
}

fn assemble(spans: Vec<Span>) -> Trace {
    Trace::assemble(spans).expect("spans")
}

#[test]
fn retries_under_one_parent_are_one_call_with_their_waits_outcomes_and_tokens() {
    // 429 (Retry-After 1 s), a timeout, then success; arriving out of order.
    let trace = assemble(vec![
        tokens(attempt(3, 0, 3_100, 3_900, 200), 120, 40),
        request(200, 4_000),
        timeout(attempt(2, 0, 1_250, 3_000, 0)),
        retry_after(attempt(1, 0, 10, 250, 429), "1"),
    ]);
    let calls = upstream_calls(&trace, &Upstreams::default());
    assert_eq!(calls.len(), 1, "{calls:#?}");
    let call = &calls[0];
    assert_eq!(call.upstream.as_deref(), Some("anthropic"));
    assert_eq!(call.model.as_deref(), Some("sonnet"));
    assert_eq!(call.parent, Some(index_of(&trace, 0)));
    let outcomes: Vec<&AttemptOutcome> = call.attempts.iter().map(|a| &a.outcome).collect();
    assert_eq!(
        outcomes,
        [
            &AttemptOutcome::RateLimited,
            &AttemptOutcome::Timeout,
            &AttemptOutcome::Ok
        ]
    );
    let waits: Vec<Option<u64>> = call.attempts.iter().map(|a| a.wait_before_nanos).collect();
    assert_eq!(waits, [None, Some(1_000 * MS), Some(100 * MS)]);
    assert_eq!(call.attempts[0].retry_after_seconds, Some(1.0));
    assert_eq!(call.retries(), 2);
    assert!(call.outcome().is_ok());
    assert_eq!((call.input_tokens, call.output_tokens), (120, 40));
    assert_eq!(call.duration_nanos, 3_890 * MS);

    let mut absorption = Absorption::default();
    absorption.add(&trace, &calls);
    assert_eq!(
        absorption,
        Absorption {
            failed_attempts: 2,
            absorbed: 2,
            retries: 2,
            calls_given_up: 0
        }
    );
}

#[test]
fn side_by_side_calls_and_a_call_after_a_success_are_separate_calls() {
    // Two concurrent calls to the same model (fan-out), both rate-limited
    // and both retried; then a later call after they succeeded.
    let trace = assemble(vec![
        request(200, 2_000),
        attempt(1, 0, 0, 100, 429),
        attempt(2, 0, 10, 120, 429),
        attempt(3, 0, 300, 400, 200),
        attempt(4, 0, 310, 420, 200),
        attempt(5, 0, 700, 900, 200),
    ]);
    let calls = upstream_calls(&trace, &Upstreams::default());
    let shape: Vec<usize> = calls.iter().map(|c| c.attempts.len()).collect();
    assert_eq!(shape, [2, 2, 1], "{calls:#?}");
    // Neither retry overlapped the attempt it followed.
    for call in &calls[..2] {
        let first = &trace.spans[call.attempts[0].span];
        let second = &trace.spans[call.attempts[1].span];
        assert!(first.end_unix_nano <= second.start_unix_nano);
    }
}

#[test]
fn a_call_that_gave_up_took_its_request_down() {
    let trace = assemble(vec![
        request(503, 2_000),
        attempt(1, 0, 0, 100, 503),
        attempt(2, 0, 300, 400, 500),
    ]);
    let calls = upstream_calls(&trace, &Upstreams::default());
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0].outcome(),
        &AttemptOutcome::ServerError { status: 500 }
    );
    let mut absorption = Absorption::default();
    absorption.add(&trace, &calls);
    assert_eq!(absorption.failed_attempts, 2);
    assert_eq!(absorption.absorbed, 0, "the request failed");
    assert_eq!(absorption.retries, 1);
    assert_eq!(absorption.calls_given_up, 1);
}

#[test]
fn an_orphan_attempt_absorbed_nothing_and_client_errors_are_not_upstream_failures() {
    // Its request never arrived: no evidence it was absorbed.
    let orphan = assemble(vec![attempt(1, 9, 0, 100, 429)]);
    let mut absorption = Absorption::default();
    absorption.add(&orphan, &upstream_calls(&orphan, &Upstreams::default()));
    assert_eq!((absorption.failed_attempts, absorption.absorbed), (1, 0));
    // A 400 is the caller's own mistake, not the upstream's trouble.
    let bad_request = assemble(vec![request(200, 500), attempt(1, 0, 0, 100, 400)]);
    let calls = upstream_calls(&bad_request, &Upstreams::default());
    assert_eq!(
        calls[0].outcome(),
        &AttemptOutcome::ClientError { status: 400 }
    );
    let mut absorption = Absorption::default();
    absorption.add(&bad_request, &calls);
    assert_eq!(absorption.failed_attempts, 0);
}

#[test]
fn configured_hosts_are_upstreams_and_other_client_spans_are_not() {
    let mut payments = span(1, Some(0), 0, 100);
    payments.kind = SpanKind::Client;
    payments.attributes.0.push((
        "url.full".into(),
        Value::String("https://user@API.stripe.com:443/v1/charges?x=1".into()),
    ));
    assert_eq!(host_of(&payments), Some("API.stripe.com"));
    let mut database = span(2, Some(0), 0, 100);
    database.kind = SpanKind::Client;
    database
        .attributes
        .0
        .push(("server.address".into(), Value::String("db.internal".into())));
    let trace = assemble(vec![request(200, 200), payments, database]);
    assert!(upstream_calls(&trace, &Upstreams::default()).is_empty());
    let calls = upstream_calls(&trace, &Upstreams::new(["api.stripe.com".to_string()]));
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].upstream.as_deref(), Some("API.stripe.com"));
    assert_eq!(trace.spans[calls[0].attempts[0].span].span_id, id(1));
}
