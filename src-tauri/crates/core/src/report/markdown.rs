//! The weekly review as Markdown, beside the HTML: the same sections and
//! numbers, each followed by a link to its provenance entry at the end.

use std::fmt::Write as _;

use time::OffsetDateTime;

use super::html::{describe, num, outcome, signed, stamp};
use super::{Cited, Provenance, StoredRows, WeeklyReport};

/// Text safe inside a Markdown table cell: one line, `|` escaped.
fn cell(s: &str) -> String {
    s.replace(['\n', '\r'], " ").replace('|', "\\|")
}

/// The document's links to provenance entries, as Markdown.
#[derive(Default)]
struct Links(Cited);

impl Links {
    fn rows(&mut self, p: &StoredRows, text: &str) -> String {
        format!("[{}](#{})", cell(text), self.0.rows(p))
    }

    fn to(&mut self, p: &Provenance, text: &str) -> String {
        format!("[{}](#{})", cell(text), self.0.run(p))
    }
}

pub fn render(r: &WeeklyReport, generated_at: OffsetDateTime) -> String {
    let mut links = Links::default();
    let mut m = String::new();
    let _ = writeln!(m, "# Readyroom weekly review: {}\n", r.environment);
    let _ = writeln!(
        m,
        "From {} to {} · {} run(s) · generated {}\n",
        stamp(r.from),
        stamp(r.to),
        r.runs,
        stamp(generated_at)
    );
    m.push_str("## Score\n\n| | Start of the period | Now | Change |\n|---|---:|---:|---:|\n");
    let _ = writeln!(
        m,
        "| Score | {} | {} | {} |",
        links.to(&r.start.provenance, &num(r.start.score)),
        links.to(&r.now.provenance, &num(r.now.score)),
        signed(r.now.score - r.start.score)
    );
    let _ = writeln!(
        m,
        "| Grade | {} | {} | |",
        links.to(&r.start.provenance, &r.start.grade.to_string()),
        links.to(&r.now.provenance, &r.now.grade.to_string())
    );
    let _ = writeln!(
        m,
        "| Coverage % | {} | {} | {} |\n",
        links.to(&r.start.provenance, &num(r.start.coverage)),
        links.to(&r.now.provenance, &num(r.now.coverage)),
        signed(r.now.coverage - r.start.coverage)
    );
    let lowest = r
        .trend
        .iter()
        .map(|p| p.score)
        .fold(f64::INFINITY, f64::min);
    let highest = r
        .trend
        .iter()
        .map(|p| p.score)
        .fold(f64::NEG_INFINITY, f64::max);
    if r.trend.len() > 1 {
        let _ = writeln!(
            m,
            "## Score trend\n\n{} runs, from {} to {} (the HTML report draws them).\n",
            r.trend.len(),
            num(lowest),
            num(highest)
        );
    }
    m.push_str("## What moved, per category\n\n");
    for cat in &r.categories {
        let _ = writeln!(
            m,
            "### {} {} ({} → {} of {})\n",
            cat.name,
            signed(cat.delta),
            links.to(&r.start.provenance, &num(cat.earned_before)),
            links.to(&r.now.provenance, &num(cat.earned_now)),
            num(cat.weight)
        );
        if cat.moved.is_empty() {
            m.push_str("No check moved.\n\n");
            continue;
        }
        m.push_str(
            "| Check | Before | Now | Points | Measured then → now |\n|---|---|---|---:|---|\n",
        );
        for c in &cat.moved {
            let points = match &c.provenance_after {
                Some(p) => links.to(p, &signed(c.points_delta)),
                None => signed(c.points_delta),
            };
            let before = c
                .provenance_before
                .as_ref()
                .map_or_else(|| "—".into(), |p| links.to(p, &c.measured_before));
            let after = c
                .provenance_after
                .as_ref()
                .map_or_else(|| "—".into(), |p| links.to(p, &c.measured_after));
            let _ = writeln!(
                m,
                "| {} (`{}`) | {} | {} | {points} | {before} → {after} |",
                cell(&c.name),
                c.id,
                outcome(c.before),
                outcome(c.after)
            );
        }
        m.push('\n');
    }
    let ng = &r.next_grade;
    m.push_str("## The path to the next grade\n\n");
    if let (Some(next), Some(floor)) = (ng.next, ng.needs_score) {
        match ng.steps_needed {
            Some(n) => {
                let _ = writeln!(
                    m,
                    "From {} to {next} at {}: the first {n} step(s) below.\n",
                    ng.current,
                    num(floor)
                );
            }
            None => {
                let _ = writeln!(
                    m,
                    "From {} to {next} at {}: fixing every check below is not enough.\n",
                    ng.current,
                    num(floor)
                );
            }
        }
    }
    if ng.steps.is_empty() {
        m.push_str("Every check passes.\n\n");
    } else {
        m.push_str("| # | Check | Now | Recoverable | Score after | What to do |\n|---:|---|---|---:|---:|---|\n");
        for (i, s) in ng.steps.iter().enumerate() {
            let _ = writeln!(
                m,
                "| {} | {} (`{}`) | {} | {} | {} | {} |",
                i + 1,
                cell(&s.name),
                s.id,
                s.outcome.as_str(),
                links.to(&s.provenance, &signed(s.recoverable)),
                num(s.score_after),
                cell(&s.what_to_do)
            );
        }
        m.push('\n');
    }
    m.push_str("## Latency and errors per route\n\n");
    if r.routes.is_empty() {
        m.push_str("No requests in the period in the spans Readyroom received.\n\n");
    } else {
        m.push_str("| Route | Requests | Errors % | p50 ms | p95 ms | p99 ms |\n|---|---:|---:|---:|---:|---:|\n");
        for x in &r.routes {
            let p = &x.provenance;
            let _ = writeln!(
                m,
                "| {} ({}) | {} | {} | {} | {} | {} |",
                cell(&x.stats.route),
                cell(&x.stats.service),
                links.rows(p, &x.stats.requests.to_string()),
                links.rows(p, &num(x.error_percent)),
                links.rows(p, &num(x.stats.p50_ms)),
                links.rows(p, &num(x.stats.p95_ms)),
                links.rows(p, &num(x.stats.p99_ms))
            );
        }
        m.push('\n');
    }
    m.push_str("## Pool saturation\n\n");
    let pools = &r.pools;
    if !pools.sampled {
        m.push_str("No pool samples in the period.\n\n");
    } else {
        let _ = writeln!(
            m,
            "Requests waited for a connection in {} stretch(es), {} s in all.\n",
            links.rows(&pools.provenance, &pools.stretches.to_string()),
            links.rows(&pools.provenance, &num(pools.saturated_seconds))
        );
    }
    m.push_str("## Who was throttled most\n\n");
    if r.throttled.is_empty() {
        m.push_str("No workspace was seen throttled in the period.\n\n");
    } else {
        m.push_str(
            "| Workspace | Tier | 429s | Days throttled | Worst day |\n|---|---|---:|---:|---|\n",
        );
        for t in &r.throttled {
            let _ = writeln!(
                m,
                "| {} (`{}`) | {} | {} | {} | {} ({}) |",
                cell(&t.workspace_name),
                t.workspace_id,
                cell(&t.tier),
                links.rows(&t.provenance, &t.throttled.to_string()),
                links.rows(&t.provenance, &t.days.to_string()),
                t.worst_day,
                links.rows(&t.provenance, &t.worst_day_throttled.to_string())
            );
        }
        m.push('\n');
    }
    m.push_str("## Actions against production\n\n");
    if r.actions.is_empty() {
        m.push_str("None in the period.\n\n");
    } else {
        m.push_str("| Entry | When | Action | Target | Result | Reason | Operator |\n|---|---|---|---|---|---|---|\n");
        for a in &r.actions {
            let result = a.result_in_words();
            let _ = writeln!(
                m,
                "| {} | {} | {} | {} | {} | {} | {} |",
                links.rows(&a.provenance, &format!("#{}", a.seq)),
                stamp(a.at),
                cell(&a.action),
                cell(&a.target),
                cell(&result),
                cell(&a.reason),
                cell(&a.operator)
            );
        }
        m.push('\n');
    }
    m.push_str("## Provenance\n\n");
    for (anchor, p) in &links.0.runs {
        let _ = writeln!(
            m,
            "- <a id=\"{anchor}\"></a>`{anchor}`: {}",
            cell(&describe(p))
        );
    }
    for (anchor, what) in &links.0.rows {
        let _ = writeln!(m, "- <a id=\"{anchor}\"></a>`{anchor}`: {}", cell(what));
    }
    m
}
