//! `readyroom quota --trend`: who was throttled on which of the last days,
//! from the quota sampler's snapshots; those throttled on every day that
//! was sampled are marked (the weekly review's "throttled all week").

use std::fmt::Write;

use readyroom_api::quota::QuotaTrendView;
use readyroom_core::format::count;

use super::{cell, json, table};
use crate::args::Format;

pub fn quota_trend(view: &QuotaTrendView, format: Format) -> String {
    if format == Format::Json {
        return json(view);
    }
    let t = &view.trend;
    let md = format == Format::Markdown;
    let mut out = String::new();
    let sampled = t.sampled.iter().filter(|s| **s).count();
    let _ = writeln!(
        out,
        "{}Throttled · {} · the last {} days (UTC), sampled on {sampled}: {} snapshots, {} failed",
        if md { "## " } else { "" },
        cell(&view.environment, format),
        t.days.len(),
        count(i64::from(t.snapshots)),
        count(i64::from(t.failures)),
    );
    if !view.configured {
        let _ = writeln!(
            out,
            "environment '{}' has no quota source now; what was stored before is shown",
            cell(&view.environment, format)
        );
    }
    if t.snapshots == 0 {
        let _ = writeln!(
            out,
            "no snapshots stored: the quota sampler runs in the desktop app and `readyroom serve` ([settings.quota] every_ms)"
        );
        return out;
    }
    if view.skipped > 0 {
        let _ = writeln!(
            out,
            "{} stored rows could not be read and were skipped",
            view.skipped
        );
    }
    if t.throttled.is_empty() {
        let _ = writeln!(out, "nobody was throttled on the days sampled");
        return out;
    }
    // Month-day headings: short enough for a week of columns.
    let days: Vec<String> = t
        .days
        .iter()
        .zip(&t.sampled)
        .map(|(d, s)| {
            let short = d.get(5..).unwrap_or(d).to_string();
            if *s {
                short
            } else {
                format!("{short} (not sampled)")
            }
        })
        .collect();
    let mut headers = vec!["workspace", "tier"];
    headers.extend(days.iter().map(String::as_str));
    headers.extend(["days", "429s", "every day"]);
    let mut table = table(format, &headers);
    for w in &t.throttled {
        let mut row = vec![
            cell(
                &format!("{} ({})", w.workspace_name, w.workspace_id),
                format,
            ),
            cell(&w.tier, format),
        ];
        row.extend(
            w.per_day
                .iter()
                .map(|n| n.map_or_else(|| "·".to_string(), count)),
        );
        row.push(w.days_throttled.to_string());
        row.push(count(w.total));
        row.push(if w.every_sampled_day { "yes" } else { "" }.to_string());
        table.add_row(row);
    }
    let _ = writeln!(out, "{table}");
    out
}
