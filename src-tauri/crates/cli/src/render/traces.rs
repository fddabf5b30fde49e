//! Trace statistics and one trace's tree.

use readyroom_api::traces::{
    SpanChange, TraceComparisonView, TraceListView, TraceStatsView, TraceView, UpstreamCallRow,
};
use readyroom_core::format::printable;
use readyroom_core::traces::AttemptOutcome;

use super::{cell, json, table};
use crate::args::Format;

/// Milliseconds as people read them: 0.42, 12.3, 1204.
fn ms(v: f64) -> String {
    if v < 1.0 {
        format!("{v:.2}")
    } else if v < 100.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.0}")
    }
}

/// Spans waiting unattributed, or how to send some.
fn what_next(environment: &str, attribution_hint: Option<&str>) -> String {
    match attribution_hint {
        Some(hint) => hint.to_string(),
        None => format!(
            "Send traces to Readyroom's OTLP receiver (OTLP/HTTP 127.0.0.1:4318, gRPC 127.0.0.1:4317) with deployment.environment.name = {environment}."
        ),
    }
}

pub fn trace_stats(view: &TraceStatsView, format: Format) -> String {
    if format == Format::Json {
        return json(view);
    }
    if view.routes.is_empty() {
        return format!(
            "No requests (SERVER spans) from {} in the last {} min.\n{}\n",
            view.environment,
            view.window_minutes,
            what_next(&view.environment, view.attribution_hint.as_deref())
        );
    }
    let mut t = table(
        format,
        &[
            "service", "route", "requests", "req/s", "errors", "p50 ms", "p95 ms", "p99 ms",
        ],
    );
    for r in &view.routes {
        t.add_row(vec![
            cell(&r.service, format),
            cell(&r.route, format),
            r.requests.to_string(),
            r.requests_per_second
                .map_or_else(|| "-".to_string(), |rate| format!("{rate:.2}")),
            format!("{} ({:.2} %)", r.errors, r.error_ratio * 100.0),
            ms(r.p50_ms),
            ms(r.p95_ms),
            ms(r.p99_ms),
        ]);
    }
    format!(
        "{} — last {} min, from {}\n{t}\n",
        view.environment, view.window_minutes, view.source
    )
}

fn outcome_text(outcome: &AttemptOutcome) -> String {
    match outcome {
        AttemptOutcome::Ok => "ok".into(),
        AttemptOutcome::RateLimited => "429".into(),
        AttemptOutcome::ServerError { status } | AttemptOutcome::ClientError { status } => {
            status.to_string()
        }
        AttemptOutcome::Timeout => "timeout".into(),
        AttemptOutcome::Failed { reason } if reason.is_empty() => "failed".into(),
        AttemptOutcome::Failed { reason } => printable(reason),
    }
}

/// `3 attempts: 429 (Retry-After 1 s) → timeout → ok; 120 in / 40 out tokens`.
fn call_summary(call: &UpstreamCallRow) -> String {
    let attempts: Vec<String> = call
        .attempts
        .iter()
        .map(|a| match a.retry_after_seconds {
            Some(s) => format!("{} (Retry-After {s} s)", outcome_text(&a.outcome)),
            None => outcome_text(&a.outcome),
        })
        .collect();
    let mut text = format!(
        "{} attempt{}: {}",
        attempts.len(),
        if attempts.len() == 1 { "" } else { "s" },
        attempts.join(" → ")
    );
    if call.input_tokens + call.output_tokens > 0 {
        text.push_str(&format!(
            "; {} in / {} out tokens",
            call.input_tokens, call.output_tokens
        ));
    }
    text
}

pub fn trace(view: &TraceView, format: Format) -> String {
    if format == Format::Json {
        return json(view);
    }
    let mut t = table(
        format,
        &[
            "span",
            "service",
            "kind",
            "start ms",
            "duration ms",
            "self ms",
            "critical",
        ],
    );
    // A retried upstream call is one line: its first attempt, annotated
    // with every attempt; later attempts (and anything under them) fold in.
    let mut folded_below: Option<u32> = None;
    // The time of what is folded (later attempts and anything under them)
    // goes to the call's line, so the columns still add up.
    let mut folded_time: std::collections::HashMap<u32, (f64, f64)> = Default::default();
    let mut folding: Option<(u32, u32)> = None; // (depth, call)
    for s in &view.spans {
        match folding {
            Some((depth, _)) if s.depth > depth => {}
            _ => folding = None,
        }
        if folding.is_none() && s.attempt.is_some_and(|n| n > 0) {
            folding = s.upstream_call.map(|c| (s.depth, c));
        }
        if let Some((_, call)) = folding {
            let t = folded_time.entry(call).or_default();
            t.0 += s.self_ms;
            t.1 += s.critical_ms;
        }
    }
    for s in &view.spans {
        match folded_below {
            Some(depth) if s.depth > depth => continue,
            _ => folded_below = None,
        }
        if s.attempt.is_some_and(|n| n > 0) {
            folded_below = Some(s.depth);
            continue;
        }
        let call = s
            .upstream_call
            .and_then(|c| view.upstream_calls.get(c as usize).map(|call| (c, call)));
        let mut name = format!("{}{}", "  ".repeat(s.depth as usize), s.name);
        // A retried call's line stands for the call: failed if it ended so.
        let failed = match call {
            Some((_, call)) if call.attempts.len() > 1 => call.outcome != AttemptOutcome::Ok,
            _ => s.error,
        };
        if failed {
            name.push_str(" ✗");
        }
        let (mut duration, mut self_ms, mut critical) = (s.duration_ms, s.self_ms, s.critical_ms);
        if let Some((c, call)) = call {
            name.push_str(&format!("  [{}]", call_summary(call)));
            if call.attempts.len() > 1 {
                let (more_self, more_critical) = folded_time.get(&c).copied().unwrap_or_default();
                duration = call.duration_ms;
                self_ms += more_self;
                critical += more_critical;
            }
        }
        t.add_row(vec![
            cell(&name, format),
            cell(&s.service, format),
            s.kind.clone(),
            ms(s.start_offset_ms),
            ms(duration),
            ms(self_ms),
            if critical > 0.0 {
                format!("* {}", ms(critical))
            } else {
                String::new()
            },
        ]);
    }
    let mut out = format!(
        "trace {} — {} {} — {} ms, {} spans, {} services, {} errors (started {})\n{t}\n",
        view.trace_id,
        cell(&view.root_service, format),
        cell(&view.root_name, format),
        ms(view.duration_ms),
        view.spans.len(),
        view.services,
        view.error_spans,
        view.start
    );
    out.push_str("* on the critical path (its time there)\n");
    if !view.upstream_calls.is_empty() {
        let retries: usize = view
            .upstream_calls
            .iter()
            .map(|c| c.attempts.len().saturating_sub(1))
            .sum();
        let tokens: u64 = view
            .upstream_calls
            .iter()
            .map(|c| c.input_tokens + c.output_tokens)
            .sum();
        out.push_str(&format!(
            "{} upstream call(s), {retries} retries, {tokens} tokens; retried attempts are folded into their call\n",
            view.upstream_calls.len()
        ));
    }
    for issue in &view.issues {
        out.push_str(&format!("note: {}\n", cell(issue, format)));
    }
    out
}

pub fn trace_list(view: &TraceListView, format: Format) -> String {
    if format == Format::Json {
        return json(view);
    }
    if view.traces.is_empty() {
        return match &view.attribution_hint {
            Some(hint) => format!(
                "No traces from {} in the last {} min in {}.\n{hint}\n{}",
                view.environment,
                view.window_minutes,
                view.source,
                note(view)
            ),
            None => format!(
                "No traces from {} in the last {} min match in {}.\n{}",
                view.environment,
                view.window_minutes,
                view.source,
                note(view)
            ),
        };
    }
    let mut t = table(
        format,
        &[
            "started",
            "trace",
            "service",
            "entry",
            "duration ms",
            "spans",
            "errors",
        ],
    );
    for r in &view.traces {
        t.add_row(vec![
            r.start.clone(),
            r.trace_id.clone(),
            cell(r.root_service.as_deref().unwrap_or("?"), format),
            cell(
                r.route
                    .as_deref()
                    .or(r.root_name.as_deref())
                    .unwrap_or("(no entry span)"),
                format,
            ),
            ms(r.duration_ms),
            count(r.spans),
            count(r.error_spans),
        ]);
    }
    format!(
        "Traces of {} from {}:\n{t}\n{}",
        view.environment,
        view.source,
        note(view)
    )
}

fn note(view: &TraceListView) -> String {
    let mut out = String::new();
    if let Some(down) = &view.remote_down {
        out.push_str(&format!(
            "Note: {} has not answered since {} ({}); this is what the local span store holds.\n",
            down.source, down.since, down.error
        ));
    }
    if let Some(n) = &view.note {
        out.push_str(&format!("Note: {n}.\n"));
    }
    out
}

/// A count the source may not give (Tempo's search does not count spans).
fn count(n: Option<u64>) -> String {
    n.map_or_else(|| "-".into(), |n| n.to_string())
}

/// `+12.5`, `-3.0`: a difference with its sign.
fn signed_ms(v: f64) -> String {
    if v >= 0.0 {
        format!("+{}", ms(v))
    } else {
        format!("-{}", ms(-v))
    }
}

pub fn trace_comparison(view: &TraceComparisonView, format: Format) -> String {
    if format == Format::Json {
        return json(view);
    }
    let mut t = table(
        format,
        &["span", "service", "A ms", "B ms", "Δ ms", "Δ %", ""],
    );
    for r in &view.rows {
        let opt = |v: Option<f64>| v.map(ms).unwrap_or_default();
        let pct = match (r.a_ms, r.delta_ms) {
            (Some(a), Some(d)) if a > 0.0 => format!("{:+.0} %", d * 100.0 / a),
            _ => String::new(),
        };
        t.add_row(vec![
            cell(
                &format!("{}{}", "  ".repeat(r.depth as usize), r.name),
                format,
            ),
            cell(&r.service, format),
            opt(r.a_ms),
            opt(r.b_ms),
            r.delta_ms.map(signed_ms).unwrap_or_default(),
            pct,
            match r.change {
                SpanChange::Matched => String::new(),
                SpanChange::Missing => "only in A".into(),
                SpanChange::Extra => "only in B".into(),
            },
        ]);
    }
    let side = |label: &str, s: &readyroom_api::traces::ComparedTrace| {
        format!(
            "{label}: trace {} — {} {} — {} ms\n",
            s.trace_id,
            cell(&s.root_service, format),
            cell(&s.root_name, format),
            ms(s.duration_ms)
        )
    };
    let mut out = side("A", &view.a);
    out.push_str(&side("B", &view.b));
    out.push_str(&format!(
        "B less A: {} ms\n{t}\n{} matched, {} only in A, {} only in B\n",
        signed_ms(view.b.duration_ms - view.a.duration_ms),
        view.matched,
        view.missing,
        view.extra
    ));
    if let Some(biggest) = view
        .rows
        .iter()
        .filter(|r| r.delta_ms.is_some())
        .max_by(|x, y| {
            let size = |r: &&readyroom_api::traces::ComparedRow| r.delta_ms.unwrap_or(0.0).abs();
            size(x).total_cmp(&size(y))
        })
        .filter(|r| r.delta_ms.unwrap_or(0.0) != 0.0)
    {
        out.push_str(&format!(
            "largest change: {} ({}) {} ms\n",
            cell(&biggest.name, format),
            cell(&biggest.service, format),
            signed_ms(biggest.delta_ms.unwrap_or(0.0))
        ));
    }
    if let Some(note) = &view.note {
        out.push_str(&format!("note: {}\n", cell(note, format)));
    }
    out
}
