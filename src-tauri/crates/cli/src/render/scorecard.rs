use std::fmt::Write as _;

use readyroom_core::diff::ScorecardDiff;
use readyroom_core::scorecard::{Outcome, Scorecard};
use serde::Serialize;

use super::{cell, json, num, printable_lines, table, when};
use crate::args::Format;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WithDiff<'a> {
    #[serde(flatten)]
    card: &'a Scorecard,
    #[serde(skip_serializing_if = "Option::is_none")]
    diff: Option<&'a ScorecardDiff>,
}

/// `asked_diff` with no previous run says so instead of printing nothing.
pub fn scorecard(
    card: &Scorecard,
    diff: Option<&ScorecardDiff>,
    asked_diff: bool,
    format: Format,
) -> String {
    if format == Format::Json {
        return json(&WithDiff { card, diff });
    }
    let md = format == Format::Markdown;
    let mut out = String::new();
    let at = when(card.measured_at);
    if md {
        let _ = writeln!(out, "# Readiness of {}\n", card.environment);
        let _ = writeln!(
            out,
            "**{} / 100 (grade {})**, coverage {} % — measured {at}\n",
            num(card.score),
            card.grade,
            num(card.coverage)
        );
    } else {
        let _ = writeln!(
            out,
            "{}: {} / 100, grade {}, coverage {} % (measured {at})",
            card.environment,
            num(card.score),
            card.grade,
            num(card.coverage)
        );
    }
    for cat in &card.categories {
        if md {
            let _ = writeln!(
                out,
                "\n## {} — {} / {}\n",
                cat.name,
                num(cat.score),
                num(cat.weight)
            );
        } else {
            let _ = writeln!(
                out,
                "\n{} — {} / {}",
                cat.name,
                num(cat.score),
                num(cat.weight)
            );
        }
        // Markdown is the report format: it carries the full provenance
        // (threshold, source); the terminal table stays readable at a glance.
        let header: &[&str] = if md {
            &[
                "check",
                "outcome",
                "points",
                "measured",
                "threshold",
                "source",
                "explanation",
            ]
        } else {
            &["check", "outcome", "points", "measured", "explanation"]
        };
        let mut t = table(format, header);
        for c in &cat.checks {
            let mut row = vec![
                cell(&c.id, format),
                c.outcome.as_str().to_string(),
                format!("{} / {}", num(c.earned), num(c.points)),
                cell(&c.measured, format),
            ];
            if md {
                row.push(cell(&c.threshold, format));
                row.push(cell(&c.source, format));
            }
            row.push(cell(&c.explanation, format));
            t.add_row(row);
        }
        let _ = writeln!(out, "{t}");
    }
    if asked_diff {
        out.push_str(&render_diff(diff, md));
    }
    printable_lines(&out)
}

fn outcome(o: Option<Outcome>) -> &'static str {
    o.map_or("absent", Outcome::as_str)
}

fn render_diff(diff: Option<&ScorecardDiff>, md: bool) -> String {
    let mut out = String::new();
    let heading = if md {
        "\n## Since the previous run\n\n"
    } else {
        "\nSince the previous run: "
    };
    out.push_str(heading);
    let Some(d) = diff else {
        out.push_str("no previous run of this environment is stored; this run is the baseline.\n");
        return out;
    };
    let prev = when(d.previous_measured_at);
    let sign = if d.score_delta >= 0.0 { "+" } else { "" };
    let _ = writeln!(
        out,
        "{} → {} ({sign}{}), coverage {}{} (previous run {prev})",
        num(d.previous_score),
        num(d.score),
        num(d.score_delta),
        if d.coverage_delta >= 0.0 { "+" } else { "" },
        num(d.coverage_delta)
    );
    if d.changes.is_empty() {
        out.push_str("No check changed outcome.\n");
        return out;
    }
    let lines: Vec<String> = d
        .changes
        .iter()
        .map(|c| {
            let sign = if c.points_delta >= 0.0 { "+" } else { "" };
            format!(
                "{}{}: {} → {} ({sign}{} points; was {}, now {})",
                if md { "- " } else { "  " },
                c.id,
                outcome(c.before),
                outcome(c.after),
                num(c.points_delta),
                if c.measured_before.is_empty() {
                    "-"
                } else {
                    &c.measured_before
                },
                if c.measured_after.is_empty() {
                    "-"
                } else {
                    &c.measured_after
                },
            )
        })
        .collect();
    out.push_str(&lines.join("\n"));
    out.push('\n');
    out
}
