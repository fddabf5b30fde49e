//! The trace checks of RUBRIC.md, judged from an environment's spans over
//! a window (`traces::SpanWindow`).

use super::{band, banded, describe, num, observed, thresholds, CheckKind, Judgement};
use crate::evidence::Evidence;
use crate::rubric::{Better, CheckDef, ThresholdSpec};
use crate::scorecard::Outcome;
use crate::traces::{SpanWindow, UpstreamWindow, SPANS, UPSTREAM_CALLS};

const fn kind(
    name: &'static str,
    thresholds: ThresholdSpec,
    judge: fn(&CheckDef, &Evidence) -> Judgement,
) -> CheckKind {
    reading(name, &[SPANS.id], thresholds, judge)
}

const fn reading(
    name: &'static str,
    reads: &'static [crate::evidence::InputId],
    thresholds: ThresholdSpec,
    judge: fn(&CheckDef, &Evidence) -> Judgement,
) -> CheckKind {
    CheckKind {
        name,
        reads,
        thresholds: Some(thresholds),
        history_minimums: false,
        threshold: banded,
        judge: Some(judge),
    }
}

pub(super) const KINDS: &[CheckKind] = &[
    kind(
        "traces_flowing",
        ThresholdSpec::new(15.0, 1_440.0, "minutes since the last span", Better::Lower),
        traces_flowing,
    ),
    kind(
        "trace_integrity",
        ThresholdSpec::new(1.0, 5.0, "% orphan spans", Better::Lower),
        trace_integrity,
    ),
    kind(
        "error_detail",
        ThresholdSpec::new(90.0, 50.0, "% of ERROR spans", Better::Higher),
        error_detail,
    ),
    kind(
        "error_rate",
        ThresholdSpec::new(0.1, 1.0, "%", Better::Lower),
        error_rate,
    ),
    kind(
        "api_p95",
        ThresholdSpec::new(200.0, 500.0, "ms", Better::Lower),
        api_p95,
    ),
    kind(
        "db_p95",
        ThresholdSpec::new(50.0, 100.0, "ms", Better::Lower),
        db_p95,
    ),
    reading(
        "upstream_absorbed",
        &[UPSTREAM_CALLS.id],
        ThresholdSpec::new(
            99.0,
            90.0,
            "% of upstream failures absorbed",
            Better::Higher,
        ),
        upstream_absorbed,
    ),
    kind(
        "perf_baseline",
        ThresholdSpec::new(1_000.0, 100.0, "server spans in the window", Better::Higher),
        perf_baseline,
    ),
];

const NEVER_RECEIVED: &str = "No span has been received for this environment yet. Point its OpenTelemetry exporters at Readyroom's receiver (OTLP/HTTP on 127.0.0.1:4318) with the resource attribute deployment.environment.name set to its name.";

/// A measured value with its words, or why the window holds nothing to
/// measure.
type Measure = Result<(f64, String), String>;

/// Judges `measure(window)` against the check's thresholds.
fn judged(
    check: &CheckDef,
    ev: &Evidence,
    measure: fn(&SpanWindow) -> Measure,
    what: &str,
) -> Judgement {
    let t = thresholds(check);
    let threshold = describe(&t);
    let window = match observed(ev, &SPANS, &threshold) {
        Ok(w) => w,
        Err(j) => return j,
    };
    match measure(window) {
        Ok((value, measured)) => {
            let outcome = band(value, &t);
            let explanation = match outcome {
                Outcome::Pass => format!("{what} meets the target."),
                _ => format!(
                    "{what} is {} {}, against a target of {} {} {}.",
                    two_places(value),
                    t.unit,
                    match t.better {
                        Better::Lower => "under",
                        Better::Higher => "at least",
                    },
                    num(t.pass),
                    t.unit
                ),
            };
            Judgement::new(outcome, measured, threshold)
                .source(&window.source, window.measured_at)
                .explain(explanation)
        }
        Err(why) => {
            let mut j = Judgement::unknown(threshold, window.source.as_str(), why);
            j.measured_at = Some(window.measured_at);
            j
        }
    }
}

/// Up to two decimals, without trailing zeros: 0.05, 0.1, 12.
fn two_places(v: f64) -> String {
    let text = format!("{v:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn hours(w: &SpanWindow) -> String {
    format!("last {} h", num(w.window_hours))
}

fn traces_flowing(check: &CheckDef, ev: &Evidence) -> Judgement {
    judged(
        check,
        ev,
        |w| match w.last_span_at {
            Some(at) => {
                let minutes = ((w.measured_at - at).as_seconds_f64() / 60.0).max(0.0);
                Ok((
                    minutes,
                    format!("last span {} min ago", num(minutes.round())),
                ))
            }
            None => Err(NEVER_RECEIVED.into()),
        },
        "Trace freshness",
    )
}

fn trace_integrity(check: &CheckDef, ev: &Evidence) -> Judgement {
    judged(
        check,
        ev,
        |w| {
            if w.spans == 0 {
                return Err(format!(
                    "No spans in the {} old enough to judge (a span's parent gets two minutes to arrive).",
                    hours(w)
                ));
            }
            let pct = w.orphans as f64 * 100.0 / w.spans as f64;
            Ok((
                pct,
                format!(
                    "{} % orphans ({} of {} spans, {})",
                    two_places(pct),
                    w.orphans,
                    w.spans,
                    hours(w)
                ),
            ))
        },
        "The share of orphan spans (parent id set, parent never received)",
    )
}

fn error_detail(check: &CheckDef, ev: &Evidence) -> Judgement {
    judged(
        check,
        ev,
        |w| {
            if w.error_spans == 0 {
                return Err(format!(
                    "No ERROR spans in the {}: nothing to judge.",
                    hours(w)
                ));
            }
            let pct = w.error_spans_with_detail as f64 * 100.0 / w.error_spans as f64;
            Ok((
                pct,
                format!(
                    "{} % ({} of {} ERROR spans carry an exception or error.type, {})",
                    two_places(pct),
                    w.error_spans_with_detail,
                    w.error_spans,
                    hours(w)
                ),
            ))
        },
        "The share of ERROR spans that say what went wrong",
    )
}

fn error_rate(check: &CheckDef, ev: &Evidence) -> Judgement {
    judged(
        check,
        ev,
        |w| {
            if w.root_requests == 0 {
                return Err(format!(
                    "No requests (SERVER spans without a parent) in the {}.",
                    hours(w)
                ));
            }
            let pct = w.root_failed as f64 * 100.0 / w.root_requests as f64;
            Ok((
                pct,
                format!(
                    "{} % ({} of {} requests failed, {})",
                    two_places(pct),
                    w.root_failed,
                    w.root_requests,
                    hours(w)
                ),
            ))
        },
        "The error rate",
    )
}

fn api_p95(check: &CheckDef, ev: &Evidence) -> Judgement {
    judged(
        check,
        ev,
        |w| match w.api_p95_ms {
            Some(p95) => Ok((
                p95,
                format!(
                    "p95 {} ms over {} server spans, {}",
                    two_places(p95),
                    w.server_spans,
                    hours(w)
                ),
            )),
            None => Err(format!("No SERVER spans in the {}.", hours(w))),
        },
        "The API's p95 latency",
    )
}

fn db_p95(check: &CheckDef, ev: &Evidence) -> Judgement {
    judged(
        check,
        ev,
        |w| match w.db_p95_ms {
            Some(p95) => Ok((
                p95,
                format!(
                    "p95 {} ms over {} database spans, {}",
                    two_places(p95),
                    w.db_spans,
                    hours(w)
                ),
            )),
            None => Err(format!(
                "No database client spans (db.system set) in the {}.",
                hours(w)
            )),
        },
        "The database's p95 latency",
    )
}

fn perf_baseline(check: &CheckDef, ev: &Evidence) -> Judgement {
    judged(
        check,
        ev,
        |w| {
            // Never having received a span says nothing about the
            // baseline; having received some, but none lately, does.
            if w.last_span_at.is_none() {
                return Err(NEVER_RECEIVED.into());
            }
            Ok((
                w.server_spans as f64,
                format!("{} server spans, {}", w.server_spans, hours(w)),
            ))
        },
        "The latency baseline",
    )
}

/// RUBRIC.md: at least 99 % of upstream failures (429, 5xx, timeouts)
/// absorbed, their request still succeeding, and at least one retry seen
/// if any failed; 90 % for partial.
fn upstream_absorbed(check: &CheckDef, ev: &Evidence) -> Judgement {
    let t = thresholds(check);
    let threshold = format!("{}, and at least one retry seen", describe(&t));
    let w: &UpstreamWindow = match observed(ev, &UPSTREAM_CALLS, &threshold) {
        Ok(w) => w,
        Err(j) => return j,
    };
    let a = &w.absorption;
    let window = format!("last {} h", num(w.window_hours));
    if a.failed_attempts == 0 {
        let why = if w.attempts == 0 {
            format!("No upstream calls (LLM CLIENT spans with gen_ai.* attributes, or upstream_hosts) in the {window}.")
        } else {
            format!(
                "No upstream call failed in the {window} ({} attempts): nothing to judge yet.",
                w.attempts
            )
        };
        let mut j = Judgement::unknown(threshold, w.source.as_str(), why);
        j.measured_at = Some(w.measured_at);
        return j;
    }
    let pct = a.absorbed as f64 * 100.0 / a.failed_attempts as f64;
    let mut outcome = band(pct, &t);
    let no_retry = a.retries == 0;
    if no_retry && outcome == Outcome::Pass {
        outcome = Outcome::Partial;
    }
    let measured = format!(
        "{} % ({} of {} failed upstream attempts under a request that succeeded; {} retries, {} calls given up, {window}{})",
        two_places(pct),
        a.absorbed,
        a.failed_attempts,
        a.retries,
        a.calls_given_up,
        if w.truncated {
            format!("; the newest {} traces with failures examined", w.traces_examined)
        } else {
            String::new()
        }
    );
    let explanation = match outcome {
        Outcome::Pass => "Upstream failures are absorbed: retried, and the requests succeed.".to_string(),
        _ if no_retry => format!(
            "{} % of upstream failures were absorbed, but no attempt was retried: retry 429, 5xx and timeouts with backoff (honouring Retry-After).",
            two_places(pct)
        ),
        _ => format!(
            "Only {} % of upstream failures were absorbed (target {} %): the failing calls took their requests down with them; retry with backoff, or degrade gracefully.",
            two_places(pct),
            num(t.pass)
        ),
    };
    Judgement::new(outcome, measured, threshold)
        .source(&w.source, w.measured_at)
        .explain(explanation)
}
