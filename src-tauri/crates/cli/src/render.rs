//! Output formats: a table for people, JSON for scripts, Markdown for
//! reports and chat. Each function returns the whole text to print.

mod audit;
mod deploys;
mod history;
mod pools;
mod quota;
mod quota_trend;
mod scorecard;
mod secrets;
mod traces;

pub use audit::audit;
pub use deploys::{deploys, preflight, rollback};
pub use history::history;
pub use pools::pools;
pub use quota::quota;
pub use quota_trend::quota_trend;
pub use scorecard::scorecard;
pub use secrets::secrets;
pub use traces::{trace, trace_comparison, trace_list, trace_stats};

use std::io::IsTerminal;

use comfy_table::{presets, ContentArrangement, Table};

use crate::args::Format;

pub(crate) use readyroom_core::format::num;
use readyroom_core::format::printable;

/// A table styled for the format (terminal or Markdown).
fn table(format: Format, header: &[&str]) -> Table {
    let mut t = Table::new();
    match format {
        Format::Markdown => {
            t.load_preset(presets::ASCII_MARKDOWN);
        }
        _ => {
            t.load_preset(presets::UTF8_FULL_CONDENSED)
                .set_content_arrangement(ContentArrangement::Dynamic);
            // On a terminal comfy-table sizes itself; piped output gets a
            // fixed width so files and tests read the same everywhere.
            if !std::io::stdout().is_terminal() {
                t.set_width(160);
            }
        }
    }
    t.set_header(header.to_vec());
    t
}

/// Any answer as pretty JSON, for `--format json`.
pub(crate) fn json<T: serde::Serialize>(value: &T) -> String {
    // Our types always serialize; a failure here would be a bug, shown as such.
    serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}")) + "\n"
}

/// A time for people: UTC to the second.
fn when(t: time::OffsetDateTime) -> String {
    const HUMAN: &[time::format_description::FormatItem<'static>] =
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    t.to_offset(time::UtcOffset::UTC)
        .format(HUMAN)
        .unwrap_or_default()
}

/// One table cell of text that may come from production: printable, and
/// in Markdown with `|` escaped so a value cannot add columns.
fn cell(text: &str, format: Format) -> String {
    let text = printable(text);
    if format == Format::Markdown {
        text.replace('|', "\\|")
    } else {
        text
    }
}

/// The whole text, line by line, with no control character left in it
/// (cells are cleaned already; this covers headings and diff lines).
fn printable_lines(text: &str) -> String {
    let mut out: String = text.lines().map(printable).collect::<Vec<_>>().join("\n");
    if text.ends_with('\n') {
        out.push('\n');
    }
    out
}
