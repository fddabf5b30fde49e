//! The quota data contract (PRODUCT.md): one row per workspace and window,
//! with the window's start and its counts so far.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use ts_rs::TS;

/// A usage window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Window {
    Minute,
    Hour,
    Day,
}

impl Window {
    pub const ALL: [Window; 3] = [Window::Minute, Window::Hour, Window::Day];

    pub fn as_str(self) -> &'static str {
        match self {
            Window::Minute => "minute",
            Window::Hour => "hour",
            Window::Day => "day",
        }
    }

    pub fn length(self) -> time::Duration {
        match self {
            Window::Minute => time::Duration::MINUTE,
            Window::Hour => time::Duration::HOUR,
            Window::Day => time::Duration::DAY,
        }
    }

    /// Start of the fixed, UTC-aligned window containing `t`.
    pub fn start(self, t: OffsetDateTime) -> OffsetDateTime {
        let secs = t.unix_timestamp();
        let start = secs - secs.rem_euclid(self.length().whole_seconds());
        OffsetDateTime::from_unix_timestamp(start).unwrap_or(t)
    }

    /// When the fixed window containing `t` resets.
    pub fn reset(self, t: OffsetDateTime) -> OffsetDateTime {
        self.start(t) + self.length()
    }

    /// The contract's text (`minute`, `hour`, `day`, any case).
    pub fn parse(text: &str) -> Option<Window> {
        Window::ALL
            .into_iter()
            .find(|w| w.as_str().eq_ignore_ascii_case(text.trim()))
    }
}

/// One workspace's usage in one window. Counts are `None` where the source
/// had NULL: they add nothing and cross no threshold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct UsageRow {
    pub workspace_id: String,
    pub workspace_name: String,
    pub tier: String,
    pub window: Window,
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    pub window_start: OffsetDateTime,
    #[ts(type = "number | null")]
    pub requests: Option<i64>,
    #[ts(type = "number | null")]
    pub ai_calls: Option<i64>,
    #[ts(type = "number | null")]
    pub ai_tokens: Option<i64>,
    #[ts(type = "number | null")]
    pub throttled: Option<i64>,
}

impl UsageRow {
    /// Whether the window this row counts is still the current one at `now`
    /// (a row whose window already reset counts nothing now).
    pub fn is_current(&self, now: OffsetDateTime) -> bool {
        self.window_start <= now && now < self.window_start + self.window.length()
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn windows_parse_from_the_contract_s_text() {
        assert_eq!(Window::parse("Hour"), Some(Window::Hour));
        assert_eq!(Window::parse(" day "), Some(Window::Day));
        assert_eq!(Window::parse("week"), None);
    }

    #[test]
    fn a_row_is_current_until_its_window_resets() {
        let row = UsageRow {
            workspace_id: "ws".into(),
            workspace_name: "WS".into(),
            tier: "free".into(),
            window: Window::Minute,
            window_start: datetime!(2026-11-23 10:00:00 UTC),
            requests: Some(1),
            ai_calls: None,
            ai_tokens: None,
            throttled: None,
        };
        assert!(row.is_current(datetime!(2026-11-23 10:00:59.999 UTC)));
        assert!(!row.is_current(datetime!(2026-11-23 10:01:00 UTC)));
        assert!(!row.is_current(datetime!(2026-11-23 09:59:59 UTC)));
    }
}
