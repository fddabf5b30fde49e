//! Trace statistics and one trace's tree.

use readyroom_api::traces::{TraceListView, TraceStatsView, TraceView};

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
            format!("{:.2}", r.requests_per_second),
            format!("{} ({:.2} %)", r.errors, r.error_ratio * 100.0),
            ms(r.p50_ms),
            ms(r.p95_ms),
            ms(r.p99_ms),
        ]);
    }
    format!(
        "{} — last {} min\n{t}\n",
        view.environment, view.window_minutes
    )
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
    for s in &view.spans {
        let mut name = format!("{}{}", "  ".repeat(s.depth as usize), s.name);
        if s.error {
            name.push_str(" ✗");
        }
        t.add_row(vec![
            cell(&name, format),
            cell(&s.service, format),
            s.kind.clone(),
            ms(s.start_offset_ms),
            ms(s.duration_ms),
            ms(s.self_ms),
            if s.critical_ms > 0.0 {
                format!("* {}", ms(s.critical_ms))
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
                "No traces from {} in the last {} min.\n{hint}\n",
                view.environment, view.window_minutes
            ),
            None => format!(
                "No traces from {} in the last {} min match.\n",
                view.environment, view.window_minutes
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
            r.spans.to_string(),
            r.error_spans.to_string(),
        ]);
    }
    format!("{t}\n")
}
