//! The quota summary in Rust, over rows that arrived whole (the HTTP
//! source), and the tests' oracle for the SQL the PostgreSQL source runs:
//! per tier, its workspaces, totals per window, and how many workspaces are
//! near (80 %) or over each limit; per workspace, its usage of every limit
//! with its band and, where it will run out before the reset, when.
//!
//! Only rows of the current window count (`UsageRow::is_current`): a row
//! whose window already reset, because the app has not written the new
//! one yet, is zero now. NULL counts add nothing.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use ts_rs::TS;

use super::bands::{band, Band};
use super::plans::{Limit, Plans};
use super::projection::{project, Projection};
use super::usage::{UsageRow, Window};

/// A tier's counts in one window, its current ones summed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WindowTotals {
    pub window: Window,
    #[ts(type = "number")]
    pub requests: i64,
    #[ts(type = "number")]
    pub ai_calls: i64,
    #[ts(type = "number")]
    pub ai_tokens: i64,
    #[ts(type = "number")]
    pub throttled: i64,
}

/// How many of a tier's workspaces are near or over one limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LimitCounts {
    pub limit: Limit,
    /// The tier's limit; `None`: not limited.
    #[ts(type = "number | null")]
    pub value: Option<u64>,
    /// From 80 % up to the limit itself.
    pub near: u32,
    /// Past it.
    pub over: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TierSummary {
    /// As the plans name it, or as the data does for a tier they do not.
    pub tier: String,
    /// Whether the tier has any limit (configured or default).
    pub limited: bool,
    pub workspaces: u32,
    pub windows: Vec<WindowTotals>,
    pub limits: Vec<LimitCounts>,
}

/// One workspace against one limit.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LimitUsage {
    pub limit: Limit,
    /// Used in the current window; `None` where nothing was counted (no
    /// current row, or NULL).
    #[ts(type = "number | null")]
    pub used: Option<i64>,
    #[ts(type = "number | null")]
    pub value: Option<u64>,
    /// `None` when the tier has no such limit or nothing was counted.
    pub band: Option<Band>,
    pub projection: Option<Projection>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceUsage {
    pub workspace_id: String,
    pub workspace_name: String,
    pub tier: String,
    pub limits: Vec<LimitUsage>,
    /// 429s in the current day's window (the widest).
    #[ts(type = "number")]
    pub throttled: i64,
    /// What its AI tokens today cost at its tier's price (`Prices::cost`);
    /// `None` where no tokens were counted.
    pub ai_cost: Option<f64>,
}

impl LimitUsage {
    /// `used` of `limit` in the window that started at `start`, against
    /// the tier's `value`, seen at `now`: its band and projection.
    pub fn of(
        limit: Limit,
        used: Option<i64>,
        value: Option<u64>,
        start: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> LimitUsage {
        LimitUsage {
            limit,
            used,
            value,
            band: used.zip(value).map(|(u, v)| band(u, v)),
            projection: match (used, value, start) {
                (Some(u), Some(v), Some(s)) => project(u, v, limit.window(), s, now),
                _ => None,
            },
        }
    }

    /// The share of the limit used: `used / value`, a limit of 0 with
    /// anything used infinitely far past; `None` without both.
    pub fn share(&self) -> Option<f64> {
        let (used, limit) = (self.used?, self.value?);
        Some(if limit == 0 {
            if used > 0 {
                f64::INFINITY
            } else {
                0.0
            }
        } else {
            used as f64 / limit as f64
        })
    }
}

impl WorkspaceUsage {
    /// The worst band over its limits.
    pub fn band(&self) -> Band {
        self.limits
            .iter()
            .filter_map(|l| l.band)
            .max()
            .unwrap_or(Band::Under)
    }
}

fn add(sum: &mut Option<i64>, value: Option<i64>) {
    if let Some(v) = value {
        *sum = Some(sum.unwrap_or(0).saturating_add(v));
    }
}

/// Each workspace's usage of every limit at `now`, by workspace id.
pub fn workspaces(rows: &[UsageRow], plans: &Plans, now: OffsetDateTime) -> Vec<WorkspaceUsage> {
    let mut by_id: BTreeMap<&str, Vec<&UsageRow>> = BTreeMap::new();
    for row in rows {
        by_id.entry(&row.workspace_id).or_default().push(row);
    }
    by_id
        .into_values()
        .map(|rows| {
            // A workspace's rows should agree on its tier and name; where
            // they do not, the least (byte by byte) is taken, as the SQL's
            // `min(… COLLATE "C")` does.
            let tier = rows
                .iter()
                .map(|r| r.tier.trim().to_lowercase())
                .min()
                .unwrap_or_default();
            let tier = plans.name_of(&tier);
            let name = rows.iter().map(|r| &r.workspace_name).min().cloned();
            let limits = plans.limits(&tier);
            let current: Vec<&&UsageRow> = rows.iter().filter(|r| r.is_current(now)).collect();
            let mut throttled = None;
            for r in current.iter().filter(|r| r.window == Window::Day) {
                add(&mut throttled, r.throttled);
            }
            let mut tokens = None;
            for r in current.iter().filter(|r| r.window == Window::Day) {
                add(&mut tokens, r.ai_tokens);
            }
            WorkspaceUsage {
                workspace_id: rows[0].workspace_id.clone(),
                workspace_name: name.unwrap_or_default(),
                ai_cost: tokens.map(|t| plans.prices().cost(&tier, t)),
                limits: Limit::ALL
                    .into_iter()
                    .map(|limit| {
                        let mut used = None;
                        let mut start = None;
                        for r in &current {
                            if let Some(v) = limit.value_of(r) {
                                add(&mut used, Some(v));
                                // The latest window's start, should two be current.
                                start = start.max(Some(r.window_start));
                            }
                        }
                        let value = limits.and_then(|l| l.get(limit));
                        LimitUsage::of(limit, used, value, start, now)
                    })
                    .collect(),
                throttled: throttled.unwrap_or(0),
                tier,
            }
        })
        .collect()
}

/// Per tier: workspaces, totals per window and near/over counts per limit,
/// tiers in the plans' order (then the data's others, by name).
pub fn summarize(rows: &[UsageRow], plans: &Plans, now: OffsetDateTime) -> Vec<TierSummary> {
    let usage = workspaces(rows, plans, now);
    let mut tiers: BTreeMap<(usize, String), TierSummary> = BTreeMap::new();
    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    for row in rows {
        let tier = plans.name_of(&row.tier);
        let summary = tiers
            .entry((plans.order(&tier), tier.clone()))
            .or_insert_with(|| TierSummary {
                limited: plans.limits(&tier).is_some_and(|l| !l.is_empty()),
                windows: Window::ALL
                    .into_iter()
                    .map(|window| WindowTotals {
                        window,
                        requests: 0,
                        ai_calls: 0,
                        ai_tokens: 0,
                        throttled: 0,
                    })
                    .collect(),
                limits: Limit::ALL
                    .into_iter()
                    .map(|limit| LimitCounts {
                        limit,
                        value: plans.limits(&tier).and_then(|l| l.get(limit)),
                        near: 0,
                        over: 0,
                    })
                    .collect(),
                workspaces: 0,
                tier: tier.clone(),
            });
        if seen.insert((tier, row.workspace_id.clone())) {
            summary.workspaces += 1;
        }
        if !row.is_current(now) {
            continue;
        }
        if let Some(w) = summary.windows.iter_mut().find(|w| w.window == row.window) {
            w.requests = w.requests.saturating_add(row.requests.unwrap_or(0));
            w.ai_calls = w.ai_calls.saturating_add(row.ai_calls.unwrap_or(0));
            w.ai_tokens = w.ai_tokens.saturating_add(row.ai_tokens.unwrap_or(0));
            w.throttled = w.throttled.saturating_add(row.throttled.unwrap_or(0));
        }
    }
    for ws in &usage {
        let Some(summary) = tiers.get_mut(&(plans.order(&ws.tier), ws.tier.clone())) else {
            continue;
        };
        for (counts, used) in summary.limits.iter_mut().zip(&ws.limits) {
            match used.band {
                Some(Band::Near) => counts.near += 1,
                Some(Band::Over) => counts.over += 1,
                _ => {}
            }
        }
    }
    tiers.into_values().collect()
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    const NOW: OffsetDateTime = datetime!(2026-11-23 06:00:30 UTC);

    fn row(ws: &str, tier: &str, window: Window, requests: Option<i64>) -> UsageRow {
        let window_start = match window {
            Window::Minute => datetime!(2026-11-23 06:00:00 UTC),
            Window::Hour => datetime!(2026-11-23 06:00:00 UTC),
            Window::Day => datetime!(2026-11-23 00:00:00 UTC),
        };
        UsageRow {
            workspace_id: ws.into(),
            workspace_name: ws.to_uppercase(),
            tier: tier.into(),
            window,
            window_start,
            requests,
            ai_calls: None,
            ai_tokens: None,
            throttled: Some(1),
        }
    }

    #[test]
    fn tiers_count_their_workspaces_near_and_over_each_limit() {
        let mut stale = row("c", "free", Window::Minute, Some(50));
        stale.window_start = datetime!(2026-11-23 05:59:00 UTC);
        let rows = vec![
            row("a", "free", Window::Minute, Some(8)),   // exactly 80 %
            row("b", "Free", Window::Minute, Some(11)),  // over
            stale,                                       // a reset window: zero now
            row("c", "free", Window::Hour, Some(100)),   // exactly at the hour's limit
            row("d", "free", Window::Minute, None),      // NULL: nothing
            row("e", "team", Window::Minute, Some(999)), // a tier with no limits
        ];
        let plans = Plans::default();
        let tiers = summarize(&rows, &plans, NOW);
        assert_eq!(tiers.len(), 2);
        let free = &tiers[0];
        assert_eq!(free.tier, "free");
        assert!(free.limited);
        assert_eq!(free.workspaces, 4);
        let minute = &free.windows[0];
        assert_eq!(
            (minute.requests, minute.throttled),
            (19, 3),
            "a, b and d; not the stale row"
        );
        let per_minute = &free.limits[0];
        assert_eq!(
            (per_minute.value, per_minute.near, per_minute.over),
            (Some(10), 1, 1)
        );
        let per_hour = &free.limits[1];
        assert_eq!((per_hour.near, per_hour.over), (1, 0));
        let team = &tiers[1];
        assert_eq!(team.tier, "team");
        assert!(!team.limited, "reported, not dropped or counted as free");
        assert_eq!(team.workspaces, 1);
        assert!(team
            .limits
            .iter()
            .all(|l| l.value.is_none() && l.near == 0 && l.over == 0));
    }

    #[test]
    fn a_workspace_carries_every_limit_with_its_band_and_projection() {
        let mut day = row("a", "free", Window::Day, Some(600));
        day.ai_tokens = Some(40_000);
        let rows = vec![row("a", "free", Window::Minute, Some(3)), day];
        let usage = workspaces(&rows, &Plans::default(), NOW);
        assert_eq!(usage.len(), 1);
        let a = &usage[0];
        let get = |l: Limit| a.limits.iter().find(|u| u.limit == l).expect("limit");
        assert_eq!(get(Limit::RequestsPerMinute).used, Some(3));
        assert_eq!(get(Limit::RequestsPerHour).used, None, "no hour row");
        // 600 of 1,000 six hours and 30 s into the day: 21,630 s x 1,000 / 600.
        let day = get(Limit::RequestsPerDay);
        assert_eq!(day.band, Some(Band::Under));
        let p = day.projection.as_ref().expect("projected");
        assert_eq!(p.runs_out_at, datetime!(2026-11-23 10:00:50 UTC));
        assert_eq!(get(Limit::AiTokensPerDay).band, Some(Band::Near));
        assert_eq!(get(Limit::AiCallsPerDay).used, None, "NULL");
        assert_eq!(a.band(), Band::Near);
        assert_eq!(a.throttled, 1);
    }
}
