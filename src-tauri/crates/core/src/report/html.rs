//! The weekly review as one self-contained HTML file: no network fetch
//! (the chart is inline SVG, the font embedded), printable, and every
//! number a link to its provenance entry at the end.

use std::fmt::Write as _;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::{Cited, Provenance, StoredRows, WeeklyReport};
use crate::scorecard::Outcome;

/// What the page embeds besides the report's data.
pub struct Embedded<'a> {
    /// The score trend, as SVG.
    pub trend_svg: &'a str,
    /// The font, base64 (TrueType).
    pub font_base64: &'a str,
    pub generated_at: OffsetDateTime,
}

/// Text made safe for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A time as people read it, to the second, in UTC.
pub(super) fn stamp(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let format =
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    t.format(&format)
        .unwrap_or_else(|_| t.format(&Rfc3339).unwrap_or_default())
}

pub(super) fn num(v: f64) -> String {
    format!("{v:.1}")
}

pub(super) fn signed(v: f64) -> String {
    if v > 0.0 {
        format!("+{v:.1}")
    } else {
        format!("{v:.1}")
    }
}

pub(super) fn outcome(o: Option<Outcome>) -> &'static str {
    o.map_or("—", Outcome::as_str)
}

/// The page's links to provenance entries, as HTML.
#[derive(Default)]
struct Links(Cited);

impl Links {
    /// `text` as a link to the entry of the stored rows `p`.
    fn rows(&mut self, p: &StoredRows, text: &str) -> String {
        let anchor = self.0.rows(p);
        format!(
            "<a class=\"prov\" href=\"#{}\" title=\"{}\">{}</a>",
            esc(&anchor),
            esc(&p.what),
            esc(text)
        )
    }

    /// `text` as a link to `p`'s entry.
    fn to(&mut self, p: &Provenance, text: &str) -> String {
        let anchor = self.0.run(p);
        format!(
            "<a class=\"prov\" href=\"#{anchor}\" title=\"{}\">{}</a>",
            esc(&describe(p)),
            esc(text)
        )
    }
}

/// A provenance in words.
pub(super) fn describe(p: &Provenance) -> String {
    let mut s = format!("run #{} at {}", p.run, stamp(p.run_at));
    if let Some(check) = &p.check {
        let _ = write!(s, ", check {check}");
    }
    if let Some(source) = p.source.as_deref().filter(|s| !s.is_empty()) {
        let _ = write!(s, ", source {source}");
    }
    if let Some(at) = p.measured_at {
        let _ = write!(s, ", measured {}", stamp(at));
    }
    s
}

const STYLE: &str = "
body { font-family: 'Readyroom Sans', 'DejaVu Sans', sans-serif; color: #1f2328; margin: 2em auto; max-width: 60em; padding: 0 1em; line-height: 1.4; }
h1 { margin-bottom: 0.2em; } h2 { margin-top: 1.8em; border-bottom: 1px solid #d0d7de; }
.muted { color: #59636e; }
table { border-collapse: collapse; width: 100%; margin: 0.6em 0; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #d0d7de; vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
a.prov { color: inherit; text-decoration: underline dotted; }
.pass { color: #1a7f37; } .fail { color: #cf222e; } .partial { color: #9a6700; } .unknown { color: #59636e; }
.gain { color: #1a7f37; } .loss { color: #cf222e; }
.chart svg { max-width: 100%; height: auto; }
@media print { a.prov { text-decoration: none; } h2 { break-after: avoid; } tr { break-inside: avoid; } }
";

/// The report as a complete HTML document.
pub fn render(r: &WeeklyReport, embedded: &Embedded) -> String {
    let mut links = Links::default();
    let mut h = String::new();
    let title = format!("Readyroom weekly review: {}", r.environment);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n\
         <style>@font-face {{ font-family: 'Readyroom Sans'; src: url(data:font/ttf;base64,{}) format('truetype'); }}{STYLE}</style>\n</head>\n<body>\n",
        esc(&title),
        embedded.font_base64
    );
    let _ = write!(
        h,
        "<h1>{}</h1>\n<p class=\"muted\">From {} to {} · {} run(s) · generated {}</p>\n",
        esc(&title),
        esc(&stamp(r.from)),
        esc(&stamp(r.to)),
        r.runs,
        esc(&stamp(embedded.generated_at))
    );

    h.push_str("<h2 id=\"summary\">Score</h2>\n<table>\n<thead><tr><th></th><th class=\"n\">Start of the period</th><th class=\"n\">Now</th><th class=\"n\">Change</th></tr></thead>\n<tbody>\n");
    let rows = [
        (
            "Score",
            num(r.start.score),
            num(r.now.score),
            signed(r.now.score - r.start.score),
        ),
        (
            "Grade",
            r.start.grade.to_string(),
            r.now.grade.to_string(),
            String::new(),
        ),
        (
            "Coverage %",
            num(r.start.coverage),
            num(r.now.coverage),
            signed(r.now.coverage - r.start.coverage),
        ),
    ];
    for (label, before, now, change) in rows {
        let _ = writeln!(
            h,
            "<tr data-row=\"{}\"><th>{label}</th><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&label.to_lowercase()),
            links.to(&r.start.provenance, &before),
            links.to(&r.now.provenance, &now),
            esc(&change)
        );
    }
    h.push_str("</tbody>\n</table>\n");

    let _ = write!(
        h,
        "<h2 id=\"trend\">Score trend</h2>\n<div class=\"chart\" role=\"img\" aria-label=\"The score over the period\">{}</div>\n",
        embedded.trend_svg
    );
    if !r.trend.is_empty() {
        h.push_str("<details><summary>Every run of the period</summary>\n<table>\n<thead><tr><th>Run</th><th>Measured</th><th class=\"n\">Score</th></tr></thead>\n<tbody>\n");
        for p in &r.trend {
            let prov = Provenance {
                run: p.run,
                run_at: p.at,
                check: None,
                source: None,
                measured_at: Some(p.at),
            };
            let _ = writeln!(
                h,
                "<tr><td>#{}</td><td>{}</td><td class=\"n\">{}</td></tr>",
                p.run,
                esc(&stamp(p.at)),
                links.to(&prov, &num(p.score))
            );
        }
        h.push_str("</tbody>\n</table>\n</details>\n");
    }

    h.push_str("<h2 id=\"categories\">What moved, per category</h2>\n");
    for cat in &r.categories {
        let class = if cat.delta > 0.0 {
            "gain"
        } else if cat.delta < 0.0 {
            "loss"
        } else {
            "muted"
        };
        let _ = writeln!(
            h,
            "<h3 id=\"cat-{}\">{} <span class=\"{class}\">{}</span> <span class=\"muted\">({} → {} of {})</span></h3>",
            esc(&cat.id),
            esc(&cat.name),
            esc(&signed(cat.delta)),
            links.to(&r.start.provenance, &num(cat.earned_before)),
            links.to(&r.now.provenance, &num(cat.earned_now)),
            num(cat.weight)
        );
        if cat.moved.is_empty() {
            h.push_str("<p class=\"muted\">No check moved.</p>\n");
            continue;
        }
        h.push_str("<table>\n<thead><tr><th>Check</th><th>Before</th><th>Now</th><th class=\"n\">Points</th><th>Measured then → now</th></tr></thead>\n<tbody>\n");
        for m in &cat.moved {
            let points = match &m.provenance_after {
                Some(p) => links.to(p, &signed(m.points_delta)),
                None => esc(&signed(m.points_delta)),
            };
            let before = match &m.provenance_before {
                Some(p) => links.to(p, &m.measured_before),
                None => "—".into(),
            };
            let after = match &m.provenance_after {
                Some(p) => links.to(p, &m.measured_after),
                None => "—".into(),
            };
            let _ = writeln!(
                h,
                "<tr data-check=\"{}\"><td>{} <span class=\"muted\">{}</span></td><td class=\"{}\">{}</td><td class=\"{}\">{}</td><td class=\"n\">{points}</td><td>{before} → {after}</td></tr>",
                esc(&m.id),
                esc(&m.name),
                esc(&m.id),
                outcome(m.before),
                outcome(m.before),
                outcome(m.after),
                outcome(m.after),
            );
        }
        h.push_str("</tbody>\n</table>\n");
    }

    let ng = &r.next_grade;
    h.push_str("<h2 id=\"next-grade\">The path to the next grade</h2>\n");
    match (ng.next, ng.needs_score, ng.steps_needed) {
        (None, ..) => {
            h.push_str("<p>Grade A: the top grade. The checks below still lose points.</p>\n")
        }
        (Some(next), Some(floor), Some(n)) => {
            let _ = writeln!(
                h,
                "<p>From {} ({}) to {next} at {}: the first {n} step(s) below.</p>",
                ng.current,
                links.to(&r.now.provenance, &num(r.now.score)),
                num(floor)
            );
        }
        (Some(next), Some(floor), None) => {
            let _ = writeln!(
                h,
                "<p>From {} ({}) to {next} at {}: fixing every check below is not enough; the rubric's other checks must hold too.</p>",
                ng.current,
                links.to(&r.now.provenance, &num(r.now.score)),
                num(floor)
            );
        }
        _ => {}
    }
    if ng.steps.is_empty() {
        h.push_str("<p class=\"muted\">Every check passes.</p>\n");
    } else {
        h.push_str("<table>\n<thead><tr><th>#</th><th>Check</th><th>Now</th><th class=\"n\">Recoverable</th><th class=\"n\">Score after</th><th>What to do</th></tr></thead>\n<tbody>\n");
        for (i, s) in ng.steps.iter().enumerate() {
            let _ = writeln!(
                h,
                "<tr data-step=\"{}\"><td>{}</td><td>{} <span class=\"muted\">{} · {}</span></td><td class=\"{}\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                esc(&s.id),
                i + 1,
                esc(&s.name),
                esc(&s.id),
                esc(&s.category),
                s.outcome.as_str(),
                s.outcome.as_str(),
                links.to(&s.provenance, &signed(s.recoverable)),
                num(s.score_after),
                esc(&s.what_to_do)
            );
        }
        h.push_str("</tbody>\n</table>\n");
    }

    h.push_str("<h2 id=\"routes\">Latency and errors per route</h2>\n");
    if r.routes.is_empty() {
        h.push_str("<p class=\"muted\">No requests in the period in the spans Readyroom received (send the app's traces to its OTLP receiver, or see Traces for a Tempo or Jaeger).</p>\n");
    } else {
        h.push_str("<table>\n<thead><tr><th>Route</th><th class=\"n\">Requests</th><th class=\"n\">Errors %</th><th class=\"n\">p50 ms</th><th class=\"n\">p95 ms</th><th class=\"n\">p99 ms</th></tr></thead>\n<tbody>\n");
        for x in &r.routes {
            let p = &x.provenance;
            let _ = writeln!(
                h,
                "<tr data-route=\"{}\"><td>{} <span class=\"muted\">{}</span></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                esc(&x.stats.route),
                esc(&x.stats.route),
                esc(&x.stats.service),
                links.rows(p, &x.stats.requests.to_string()),
                links.rows(p, &num(x.error_percent)),
                links.rows(p, &num(x.stats.p50_ms)),
                links.rows(p, &num(x.stats.p95_ms)),
                links.rows(p, &num(x.stats.p99_ms))
            );
        }
        h.push_str("</tbody>\n</table>\n");
    }

    h.push_str("<h2 id=\"pools\">Pool saturation</h2>\n");
    let pools = &r.pools;
    if !pools.sampled {
        h.push_str("<p class=\"muted\">No pool samples in the period: the pool sampler runs while the desktop app or <code>readyroom serve</code> runs, on environments with a PostgreSQL, pooler or app pool source.</p>\n");
    } else if pools.stretches == 0 {
        let _ = writeln!(
            h,
            "<p>Requests never waited for a connection in the samples ({} stretches).</p>",
            links.rows(&pools.provenance, "0")
        );
    } else {
        let _ = writeln!(
            h,
            "<p>Requests waited for a connection in {} stretch(es), {} s in all. The longest:</p>",
            links.rows(&pools.provenance, &pools.stretches.to_string()),
            links.rows(&pools.provenance, &num(pools.saturated_seconds))
        );
        h.push_str("<table>\n<thead><tr><th>From</th><th>To</th><th class=\"n\">Seconds</th><th>Why</th></tr></thead>\n<tbody>\n");
        for s in &pools.longest {
            let at = |ms: f64| {
                OffsetDateTime::from_unix_timestamp_nanos((ms as i128) * 1_000_000)
                    .map(stamp)
                    .unwrap_or_default()
            };
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                esc(&at(s.from)),
                esc(&at(s.to)),
                links.rows(&pools.provenance, &num((s.to - s.from) / 1000.0)),
                esc(&s.why.join("; "))
            );
        }
        h.push_str("</tbody>\n</table>\n");
    }

    h.push_str("<h2 id=\"throttled\">Who was throttled most</h2>\n");
    if r.throttled.is_empty() {
        h.push_str("<p class=\"muted\">No workspace was seen throttled in the period (from the quota sampler's daily rows; none where no quota source is set up or the app has not run).</p>\n");
    } else {
        h.push_str("<table>\n<thead><tr><th>Workspace</th><th>Tier</th><th class=\"n\">429s</th><th class=\"n\">Days throttled</th><th>Worst day</th></tr></thead>\n<tbody>\n");
        for t in &r.throttled {
            let _ = writeln!(
                h,
                "<tr data-workspace=\"{}\"><td>{} <span class=\"muted\">{}</span></td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{} ({})</td></tr>",
                esc(&t.workspace_id),
                esc(&t.workspace_name),
                esc(&t.workspace_id),
                esc(&t.tier),
                links.rows(&t.provenance, &t.throttled.to_string()),
                links.rows(&t.provenance, &t.days.to_string()),
                t.worst_day,
                links.rows(&t.provenance, &t.worst_day_throttled.to_string())
            );
        }
        h.push_str("</tbody>\n</table>\n");
    }

    h.push_str("<h2 id=\"actions\">Actions against production</h2>\n");
    if r.actions.is_empty() {
        h.push_str("<p class=\"muted\">None in the period: no rollback, dry run or cancelled backend in the audit log.</p>\n");
    } else {
        h.push_str("<table>\n<thead><tr><th>Entry</th><th>When</th><th>Action</th><th>Target</th><th>Result</th><th>Reason</th><th>Operator</th></tr></thead>\n<tbody>\n");
        for a in &r.actions {
            let result = a.result_in_words();
            let _ = writeln!(
                h,
                "<tr data-action=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                a.seq,
                links.rows(&a.provenance, &format!("#{}", a.seq)),
                esc(&stamp(a.at)),
                esc(&a.action),
                esc(&a.target),
                esc(&result),
                esc(&a.reason),
                esc(&a.operator)
            );
        }
        h.push_str("</tbody>\n</table>\n");
    }

    h.push_str("<h2 id=\"provenance\">Provenance</h2>\n<p class=\"muted\">Where each number above comes from: the stored run (in Readyroom's local store, <code>readyroom history</code>), and for a check its source and when it was measured.</p>\n<table>\n<thead><tr><th>Entry</th><th>Run</th><th>Check</th><th>Source</th><th>Measured</th></tr></thead>\n<tbody>\n");
    for (anchor, p) in &links.0.runs {
        let _ = writeln!(
            h,
            "<tr id=\"{}\"><td><code>{}</code></td><td>#{} at {}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(anchor),
            esc(anchor),
            p.run,
            esc(&stamp(p.run_at)),
            esc(p.check.as_deref().unwrap_or("—")),
            esc(p.source.as_deref().filter(|s| !s.is_empty()).unwrap_or("—")),
            esc(&p.measured_at.map(stamp).unwrap_or_else(|| "—".into()))
        );
    }
    h.push_str("</tbody>\n</table>\n");
    if !links.0.rows.is_empty() {
        h.push_str(
            "<table>\n<thead><tr><th>Entry</th><th>Stored rows</th></tr></thead>\n<tbody>\n",
        );
        for (anchor, what) in &links.0.rows {
            let _ = writeln!(
                h,
                "<tr id=\"{}\"><td><code>{}</code></td><td>{}</td></tr>",
                esc(anchor),
                esc(anchor),
                esc(what)
            );
        }
        h.push_str("</tbody>\n</table>\n");
    }
    h.push_str("</body>\n</html>\n");
    h
}
