use readyroom_api::scorecard::RunSummary;

use super::{cell, json, num, table, when};
use crate::args::Format;

pub fn history(runs: &[RunSummary], format: Format) -> String {
    if format == Format::Json {
        return json(&runs);
    }
    if runs.is_empty() {
        return "No scorecards stored yet; run `readyroom score`.\n".to_string();
    }
    let mut t = table(
        format,
        &["measured at", "environment", "score", "grade", "coverage"],
    );
    for r in runs {
        t.add_row(vec![
            when(r.measured_at),
            cell(&r.environment, format),
            num(r.score),
            r.grade.to_string(),
            format!("{} %", num(r.coverage)),
        ]);
    }
    format!("{t}\n")
}
