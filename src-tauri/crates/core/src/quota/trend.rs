//! The quota trend: what the background sampler kept of each reading, and
//! what the weekly review asks of it ("who has been throttled all week").
//!
//! Each sampled reading leaves a [`Snapshot`] (the tiers and the AI cost,
//! or the failure that stood in its place, so gaps are on record) and, per
//! UTC day, a [`WorkspaceDay`] for each workspace worth remembering (over,
//! near, throttled or spending): the most it was seen throttled that day
//! (the day window's 429s only grow within it, so the day's last reading
//! is its total), its worst share and its AI cost. [`trend`] lays those
//! rows over the days asked for.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use ts_rs::TS;

use super::cost::AiCost;
use super::lists::{worst_share, Which};
use super::reading::QuotaReading;
use super::summary::TierSummary;
use super::usage::Window;

/// What one sampled reading leaves in the store besides its workspaces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Snapshot {
    Read {
        tiers: Vec<TierSummary>,
        ai_cost: AiCost,
    },
    Failed {
        source: String,
        reason: String,
    },
}

/// One workspace on one day, as its readings that day saw it at most.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkspaceDay {
    pub workspace_id: String,
    pub workspace_name: String,
    pub tier: String,
    /// 429s in the day window.
    pub throttled: i64,
    pub worst_share: Option<f64>,
    pub ai_cost: Option<f64>,
}

impl WorkspaceDay {
    /// The workspaces of `reading` worth remembering: those in its over,
    /// near, throttled and spenders lists (each as capped when read).
    pub fn of(reading: &QuotaReading) -> Vec<WorkspaceDay> {
        let mut seen: BTreeMap<&str, WorkspaceDay> = BTreeMap::new();
        for list in reading.lists.iter().filter(|l| {
            matches!(
                l.which,
                Which::Over | Which::Near | Which::Throttled | Which::Spenders
            )
        }) {
            for ws in &list.workspaces {
                seen.entry(&ws.workspace_id)
                    .or_insert_with(|| WorkspaceDay {
                        workspace_id: ws.workspace_id.clone(),
                        workspace_name: ws.workspace_name.clone(),
                        tier: ws.tier.clone(),
                        throttled: ws.throttled,
                        worst_share: worst_share(ws).filter(|s| s.is_finite()),
                        ai_cost: ws.ai_cost,
                    });
            }
        }
        seen.into_values().collect()
    }
}

/// A workspace throttled on some of the days asked for.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ThrottledTrend {
    pub workspace_id: String,
    pub workspace_name: String,
    pub tier: String,
    /// 429s on each of the trend's days (`null`: none seen that day).
    #[ts(type = "Array<number | null>")]
    pub per_day: Vec<Option<i64>>,
    pub days_throttled: u32,
    #[ts(type = "number")]
    pub total: i64,
    /// Throttled on every day that was sampled at all.
    pub every_sampled_day: bool,
}

/// One tier on one day, from that day's last good snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TierDay {
    pub day: String,
    pub tier: String,
    #[ts(type = "number")]
    pub throttled: i64,
    #[ts(type = "number")]
    pub requests: i64,
    pub ai_cost: f64,
}

/// The trend over whole UTC days, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct QuotaTrend {
    /// `YYYY-MM-DD`, oldest first; today last.
    pub days: Vec<String>,
    /// Whether each day had a good snapshot.
    pub sampled: Vec<bool>,
    pub snapshots: u32,
    pub failures: u32,
    /// Most days throttled first, then most 429s, then by id.
    pub throttled: Vec<ThrottledTrend>,
    pub tiers: Vec<TierDay>,
}

/// The store's rows for `days`, as the trend: `workspaces` (day,
/// workspace), `day_ends` each day's last good snapshot, and how many
/// snapshots and failures the days held.
pub fn trend(
    days: &[Date],
    workspaces: &[(Date, WorkspaceDay)],
    day_ends: &[(Date, OffsetDateTime, Snapshot)],
    snapshots: u32,
    failures: u32,
) -> QuotaTrend {
    let index = |d: &Date| days.iter().position(|x| x == d);
    let mut sampled = vec![false; days.len()];
    let mut tiers = Vec::new();
    for (day, _, snapshot) in day_ends {
        let (Some(i), Snapshot::Read { tiers: t, ai_cost }) = (index(day), snapshot) else {
            continue;
        };
        sampled[i] = true;
        for tier in t {
            let w = tier.windows.iter().find(|w| w.window == Window::Day);
            tiers.push(TierDay {
                day: day.to_string(),
                tier: tier.tier.clone(),
                throttled: w.map_or(0, |w| w.throttled),
                requests: w.map_or(0, |w| w.requests),
                ai_cost: ai_cost
                    .tiers
                    .iter()
                    .find(|c| c.tier == tier.tier)
                    .map_or(0.0, |c| c.cost),
            });
        }
    }
    let mut by_ws: BTreeMap<&str, ThrottledTrend> = BTreeMap::new();
    for (day, ws) in workspaces {
        let Some(i) = index(day) else { continue };
        if ws.throttled <= 0 {
            continue;
        }
        let row = by_ws
            .entry(&ws.workspace_id)
            .or_insert_with(|| ThrottledTrend {
                workspace_id: ws.workspace_id.clone(),
                workspace_name: ws.workspace_name.clone(),
                tier: ws.tier.clone(),
                per_day: vec![None; days.len()],
                days_throttled: 0,
                total: 0,
                every_sampled_day: false,
            });
        // The latest day's name and tier: a workspace that changed plan
        // shows as it is now.
        row.workspace_name = ws.workspace_name.clone();
        row.tier = ws.tier.clone();
        row.per_day[i] = Some(ws.throttled);
    }
    let sampled_days = sampled.iter().filter(|s| **s).count() as u32;
    let mut throttled: Vec<ThrottledTrend> = by_ws
        .into_values()
        .map(|mut row| {
            row.days_throttled = row.per_day.iter().flatten().count() as u32;
            row.total = row.per_day.iter().flatten().sum();
            row.every_sampled_day = sampled_days > 0
                && sampled
                    .iter()
                    .zip(&row.per_day)
                    .all(|(s, t)| !*s || t.is_some());
            row
        })
        .collect();
    throttled.sort_by(|a, b| {
        b.days_throttled
            .cmp(&a.days_throttled)
            .then(b.total.cmp(&a.total))
            .then_with(|| a.workspace_id.as_bytes().cmp(b.workspace_id.as_bytes()))
    });
    QuotaTrend {
        days: days.iter().map(Date::to_string).collect(),
        sampled,
        snapshots,
        failures,
        throttled,
        tiers,
    }
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;
    use crate::quota::cost::{AiCost, Prices};
    use crate::quota::lists::WorkspaceList;
    use crate::quota::summary::WorkspaceUsage;

    fn day(id: &str, throttled: i64) -> WorkspaceDay {
        WorkspaceDay {
            workspace_id: id.into(),
            workspace_name: id.to_uppercase(),
            tier: "free".into(),
            throttled,
            worst_share: Some(1.0),
            ai_cost: None,
        }
    }

    fn read() -> Snapshot {
        Snapshot::Read {
            tiers: Vec::new(),
            ai_cost: AiCost::of(&[], &Prices::default()),
        }
    }

    #[test]
    fn throttled_every_sampled_day_is_marked_and_comes_first() {
        let days = [
            date!(2026 - 11 - 20),
            date!(2026 - 11 - 21),
            date!(2026 - 11 - 22),
        ];
        let at = datetime!(2026-11-20 12:00 UTC);
        // The 21st was not sampled at all (the sampler was not running).
        let ends = vec![
            (days[0], at, read()),
            (days[2], at, read()),
            (
                days[1],
                at,
                Snapshot::Failed {
                    source: "db".into(),
                    reason: "down".into(),
                },
            ),
        ];
        let rows = vec![
            (days[0], day("a", 5)),
            (days[2], day("a", 7)),
            (days[0], day("b", 90)),
            (days[2], day("c", 1)),
            // Near a limit but never turned away: not in the trend.
            (days[2], day("d", 0)),
            // Outside the days asked for.
            (date!(2026 - 11 - 01), day("e", 3)),
        ];
        let t = trend(&days, &rows, &ends, 40, 2);
        assert_eq!(t.sampled, [true, false, true]);
        let ids: Vec<&str> = t
            .throttled
            .iter()
            .map(|w| w.workspace_id.as_str())
            .collect();
        assert_eq!(ids, ["a", "b", "c"], "most days, then most 429s");
        let a = &t.throttled[0];
        assert_eq!(a.per_day, [Some(5), None, Some(7)]);
        assert_eq!((a.days_throttled, a.total), (2, 12));
        assert!(
            a.every_sampled_day,
            "the unsampled day does not count against it"
        );
        assert!(!t.throttled[1].every_sampled_day);
        assert_eq!((t.snapshots, t.failures), (40, 2));
        assert_eq!(t.days, ["2026-11-20", "2026-11-21", "2026-11-22"]);
    }

    #[test]
    fn a_reading_leaves_each_notable_workspace_once() {
        let ws = |id: &str, throttled: i64| WorkspaceUsage {
            workspace_id: id.into(),
            workspace_name: id.into(),
            tier: "free".into(),
            limits: Vec::new(),
            throttled,
            ai_cost: Some(0.5),
        };
        let list = |which: Which, held: Vec<WorkspaceUsage>| WorkspaceList {
            which,
            total: held.len() as u32,
            workspaces: held,
        };
        let reading = QuotaReading {
            at: datetime!(2026-11-22 12:00 UTC),
            tiers: Vec::new(),
            lists: vec![
                list(Which::Near, vec![ws("a", 3)]),
                list(Which::Throttled, vec![ws("a", 3), ws("b", 1)]),
                // Everyone is in "any": it is not a reason to remember one.
                list(Which::Any, vec![ws("a", 3), ws("b", 1), ws("quiet", 0)]),
            ],
            ai_cost: AiCost::of(&[], &Prices::default()),
        };
        let kept = WorkspaceDay::of(&reading);
        let ids: Vec<&str> = kept.iter().map(|w| w.workspace_id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        assert_eq!(kept[0].throttled, 3);
    }
}
