//! Who to look at: the workspaces over a limit, near one (80 %), projected
//! to run out before the window resets, throttled today, the heaviest
//! users of any (the heatmap's rows) and the top AI spenders. Each list is
//! sorted by the workspace's worst share of a limit (the throttled by
//! their 429s, the spenders by their cost), capped, and says how many
//! there were in all. The PostgreSQL source picks them in SQL with the
//! same rules; [`pick`] is their Rust form, for usage that arrived whole
//! (the HTTP source) and as the tests' oracle.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::bands::Band;
use super::summary::WorkspaceUsage;

/// Which workspaces a list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum Which {
    /// Past a limit.
    Over,
    /// At 80 % of a limit or more, past none.
    Near,
    /// Will reach a limit before its window resets, at the rate so far.
    Projected,
    /// Answered 429 today, the most first: an app that enforces its limits
    /// never counts past them, so this is who is being turned away.
    Throttled,
    /// Every workspace, the heaviest first.
    Any,
    /// Whose AI tokens cost most today, the most first.
    Spenders,
}

impl Which {
    pub const ALL: [Which; 6] = [
        Which::Over,
        Which::Near,
        Which::Projected,
        Which::Throttled,
        Which::Any,
        Which::Spenders,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Which::Over => "over",
            Which::Near => "near",
            Which::Projected => "projected",
            Which::Throttled => "throttled",
            Which::Any => "any",
            Which::Spenders => "spenders",
        }
    }

    pub fn parse(text: &str) -> Option<Which> {
        Which::ALL.into_iter().find(|w| w.as_str() == text)
    }

    /// Whether `ws` belongs in this list.
    pub fn holds(self, ws: &WorkspaceUsage) -> bool {
        match self {
            Which::Over => ws.band() == Band::Over,
            Which::Near => ws.band() == Band::Near,
            Which::Projected => ws.limits.iter().any(|l| l.projection.is_some()),
            Which::Throttled => ws.throttled > 0,
            Which::Any => true,
            Which::Spenders => ws.ai_cost.is_some_and(|c| c > 0.0),
        }
    }
}

/// One list: its first `cap` workspaces, and how many it holds in all.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceList {
    pub which: Which,
    pub total: u32,
    pub workspaces: Vec<WorkspaceUsage>,
}

/// What the lists are picked from: one tier or all, and how long each
/// may be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRequest {
    /// A tier's name (any case); `None`: every tier.
    pub tier: Option<String>,
    pub cap: u32,
}

/// The largest share of a limit `ws` has used (`LimitUsage::share`);
/// `None` where no limit of its tier has anything counted against it.
pub fn worst_share(ws: &WorkspaceUsage) -> Option<f64> {
    ws.limits.iter().filter_map(|l| l.share()).reduce(f64::max)
}

/// The heaviest first (no share last), then by id byte by byte: the order
/// the SQL's `share DESC NULLS LAST, workspace_id COLLATE "C"` gives.
pub fn heaviest_first(a: &WorkspaceUsage, b: &WorkspaceUsage) -> Ordering {
    match (worst_share(a), worst_share(b)) {
        (Some(x), Some(y)) => y.total_cmp(&x),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
    .then_with(|| a.workspace_id.as_bytes().cmp(b.workspace_id.as_bytes()))
}

/// Every list over `usage`, as `request` asks.
pub fn pick(usage: &[WorkspaceUsage], request: &ListRequest) -> Vec<WorkspaceList> {
    let mut of_tier: Vec<&WorkspaceUsage> = usage
        .iter()
        .filter(|ws| {
            request
                .tier
                .as_deref()
                .is_none_or(|t| ws.tier.eq_ignore_ascii_case(t.trim()))
        })
        .collect();
    of_tier.sort_by(|a, b| heaviest_first(a, b));
    Which::ALL
        .into_iter()
        .map(|which| {
            let mut held: Vec<&&WorkspaceUsage> =
                of_tier.iter().filter(|ws| which.holds(ws)).collect();
            // The most turned away (or the costliest) first, then by id,
            // as the SQL orders them.
            let by_id = |a: &WorkspaceUsage, b: &WorkspaceUsage| {
                a.workspace_id.as_bytes().cmp(b.workspace_id.as_bytes())
            };
            match which {
                Which::Throttled => {
                    held.sort_by(|a, b| b.throttled.cmp(&a.throttled).then_with(|| by_id(a, b)))
                }
                Which::Spenders => held.sort_by(|a, b| {
                    let cost = |w: &WorkspaceUsage| w.ai_cost.unwrap_or(0.0);
                    cost(b).total_cmp(&cost(a)).then_with(|| by_id(a, b))
                }),
                _ => {}
            }
            WorkspaceList {
                which,
                total: u32::try_from(held.len()).unwrap_or(u32::MAX),
                workspaces: held
                    .into_iter()
                    .take(request.cap as usize)
                    .map(|ws| (*ws).clone())
                    .collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quota::plans::Limit;
    use crate::quota::summary::LimitUsage;

    const NOW: time::OffsetDateTime = time::macros::datetime!(2026-11-23 06:00:30 UTC);

    fn ws(id: &str, tier: &str, used: &[(Limit, Option<i64>, Option<u64>)]) -> WorkspaceUsage {
        WorkspaceUsage {
            workspace_id: id.into(),
            workspace_name: id.to_uppercase(),
            tier: tier.into(),
            limits: used
                .iter()
                .map(|&(limit, used, value)| LimitUsage::of(limit, used, value, None, NOW))
                .collect(),
            throttled: 0,
            ai_cost: None,
        }
    }

    #[test]
    fn lists_hold_the_worst_band_heaviest_first_capped_with_their_totals() {
        let rpm = Limit::RequestsPerMinute;
        let day = Limit::RequestsPerDay;
        let usage = vec![
            ws("b", "free", &[(rpm, Some(9), Some(10))]),
            // Over one limit and near another: over, not near.
            ws(
                "a",
                "free",
                &[(rpm, Some(12), Some(10)), (day, Some(900), Some(1_000))],
            ),
            ws("c", "free", &[(rpm, Some(8), Some(10))]),
            // A zero limit with anything used is the furthest past.
            ws("z", "Team", &[(rpm, Some(1), Some(0))]),
            // No limits: in "any", last.
            ws("n", "legacy", &[(rpm, Some(500), None)]),
        ];
        let mut usage = usage;
        usage[2].throttled = 5;
        usage[0].throttled = 5;
        usage[4].throttled = 9;
        let lists = pick(&usage, &ListRequest { tier: None, cap: 1 });
        let ids = |w: Which| -> (u32, Vec<&str>) {
            let l = lists.iter().find(|l| l.which == w).expect("list");
            (
                l.total,
                l.workspaces
                    .iter()
                    .map(|w| w.workspace_id.as_str())
                    .collect(),
            )
        };
        assert_eq!(ids(Which::Over), (2, vec!["z"]));
        assert_eq!(ids(Which::Near), (2, vec!["b"]), "90 % before 80 %");
        assert_eq!(ids(Which::Any), (5, vec!["z"]));
        assert_eq!(
            ids(Which::Throttled),
            (3, vec!["n"]),
            "the most turned away"
        );
        let all = pick(
            &usage,
            &ListRequest {
                tier: None,
                cap: 10,
            },
        );
        let any: Vec<&str> = all[4]
            .workspaces
            .iter()
            .map(|w| w.workspace_id.as_str())
            .collect();
        assert_eq!(any, ["z", "a", "b", "c", "n"]);
        let throttled: Vec<&str> = all[3]
            .workspaces
            .iter()
            .map(|w| w.workspace_id.as_str())
            .collect();
        assert_eq!(throttled, ["n", "b", "c"], "ties by id");
        let team = pick(
            &usage,
            &ListRequest {
                tier: Some("team".into()),
                cap: 10,
            },
        );
        assert_eq!(team[4].total, 1, "a tier in any case");
    }

    #[test]
    fn spenders_are_the_costliest_first_and_only_those_who_spent() {
        let mut usage = vec![
            ws("a", "free", &[]),
            ws("b", "enterprise", &[]),
            ws("c", "free", &[]),
            ws("d", "free", &[]),
        ];
        usage[0].ai_cost = Some(0.5);
        usage[1].ai_cost = Some(7.0);
        usage[2].ai_cost = Some(0.5);
        usage[3].ai_cost = Some(0.0);
        let lists = pick(
            &usage,
            &ListRequest {
                tier: None,
                cap: 10,
            },
        );
        let spenders = lists
            .iter()
            .find(|l| l.which == Which::Spenders)
            .expect("spenders");
        let ids: Vec<&str> = spenders
            .workspaces
            .iter()
            .map(|w| w.workspace_id.as_str())
            .collect();
        assert_eq!(
            ids,
            ["b", "a", "c"],
            "ties by id; nothing spent, not listed"
        );
        assert_eq!(spenders.total, 3);
    }
}
