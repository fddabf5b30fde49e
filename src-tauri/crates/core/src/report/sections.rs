//! The review's sections read from other stored rows than scorecard runs:
//! the actions taken against production (the audit log) and who was
//! throttled most (the quota sampler's daily rows). Each line names the
//! rows it came from, as its provenance.

use std::collections::BTreeMap;

use serde::Serialize;
use time::{Date, OffsetDateTime};
use ts_rs::TS;

use crate::audit::{ActionResult, Entry, Phase};
use crate::quota::WorkspaceDay;

/// Stored rows a number came from (not a scorecard run), and where the
/// report's entry for them is.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StoredRows {
    pub anchor: String,
    /// Which rows, in words (`audit entry #12, hash 3f2a9c…`).
    pub what: String,
}

/// One action against production in the period: its intent and how it
/// ended.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ActionLine {
    pub seq: i64,
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    pub at: OffsetDateTime,
    pub action: String,
    pub target: String,
    pub reason: String,
    pub operator: String,
    /// `done`, `not done`, `dry run`, or `outcome unknown`.
    pub result: String,
    /// A rollback's verification, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub verification: Option<String>,
    pub provenance: StoredRows,
}

impl ActionLine {
    /// How it ended, and the verification where there was one.
    pub fn result_in_words(&self) -> String {
        match &self.verification {
            Some(v) => format!("{}; {v}", self.result),
            None => self.result.clone(),
        }
    }
}

fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

/// The actions on `environment` whose intent falls in `[from, to]`,
/// oldest first.
pub fn actions(
    entries: &[Entry],
    environment: &str,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> Vec<ActionLine> {
    entries
        .iter()
        .filter(|e| {
            e.entry.phase == Phase::Intent
                && e.entry.environment == environment
                && e.entry.at >= from
                && e.entry.at <= to
        })
        .map(|intent| {
            let follow = |phase: Phase| {
                entries.iter().find(|e| {
                    e.entry.phase == phase
                        && e.entry.intent.as_deref() == Some(intent.entry.id.as_str())
                })
            };
            let outcome = follow(Phase::Outcome);
            let verification = follow(Phase::Verification);
            let result = match outcome.and_then(|o| o.entry.result) {
                Some(ActionResult::Done) => "done",
                Some(ActionResult::NotDone) => "not done",
                Some(ActionResult::DryRun) => "dry run",
                None => "outcome unknown",
            };
            let mut what = format!(
                "audit entry #{} (hash {}…)",
                intent.seq,
                short(&intent.hash)
            );
            for e in [outcome, verification].into_iter().flatten() {
                what.push_str(&format!(", #{} (hash {}…)", e.seq, short(&e.hash)));
            }
            ActionLine {
                seq: intent.seq,
                at: intent.entry.at,
                action: intent.entry.action.clone(),
                target: intent.entry.target.clone(),
                reason: intent.entry.reason.clone(),
                operator: intent.entry.operator.clone(),
                result: result.to_string(),
                verification: verification
                    .and_then(|v| v.entry.deploy.as_ref())
                    .and_then(|d| d.verification.clone())
                    .or_else(|| {
                        outcome
                            .and_then(|o| o.entry.deploy.as_ref())
                            .and_then(|d| d.verification.clone())
                    }),
                provenance: StoredRows {
                    anchor: format!("a-{}", intent.seq),
                    what,
                },
            }
        })
        .collect()
}

/// A workspace throttled in the period, from the quota sampler's days.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ThrottledLine {
    pub workspace_id: String,
    pub workspace_name: String,
    pub tier: String,
    /// 429s over the period: each day's most seen, added up.
    #[ts(type = "number")]
    pub throttled: i64,
    /// Days it was seen throttled.
    pub days: u32,
    #[ts(type = "string")]
    pub worst_day: Date,
    #[ts(type = "number")]
    pub worst_day_throttled: i64,
    pub provenance: StoredRows,
}

/// The `top` workspaces with the most 429s over the days given, most first
/// (ties by workspace id).
pub fn throttled_most(days: &[(Date, WorkspaceDay)], top: usize) -> Vec<ThrottledLine> {
    let mut by: BTreeMap<&str, Vec<(Date, &WorkspaceDay)>> = BTreeMap::new();
    for (day, ws) in days.iter().filter(|(_, ws)| ws.throttled > 0) {
        by.entry(ws.workspace_id.as_str())
            .or_default()
            .push((*day, ws));
    }
    let mut lines: Vec<ThrottledLine> = by
        .into_iter()
        .map(|(id, seen)| {
            let (worst_day, worst) = seen
                .iter()
                .max_by(|a, b| a.1.throttled.cmp(&b.1.throttled).then(b.0.cmp(&a.0)))
                .map(|(d, ws)| (*d, ws.throttled))
                .unwrap_or((seen[0].0, 0));
            let first = seen.iter().map(|(d, _)| *d).min().unwrap_or(worst_day);
            let last = seen.iter().map(|(d, _)| *d).max().unwrap_or(worst_day);
            let latest = seen
                .iter()
                .max_by_key(|(d, _)| *d)
                .map(|(_, ws)| *ws)
                .unwrap_or(seen[0].1);
            ThrottledLine {
                workspace_id: id.to_string(),
                workspace_name: latest.workspace_name.clone(),
                tier: latest.tier.clone(),
                throttled: seen.iter().map(|(_, ws)| ws.throttled).sum(),
                days: u32::try_from(seen.len()).unwrap_or(u32::MAX),
                worst_day,
                worst_day_throttled: worst,
                provenance: StoredRows {
                    anchor: format!(
                        "q-{}",
                        id.replace(|c: char| !c.is_ascii_alphanumeric(), "-")
                    ),
                    what: format!(
                        "the quota sampler's {} daily row(s) of {id}, {first} to {last}",
                        seen.len()
                    ),
                },
            }
        })
        .collect();
    lines.sort_by(|a, b| {
        b.throttled
            .cmp(&a.throttled)
            .then(a.workspace_id.cmp(&b.workspace_id))
    });
    lines.truncate(top);
    lines
}

/// A route's requests, errors and latency over the period.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RouteLine {
    /// The route's figures as `traces stats` gives them.
    #[serde(flatten)]
    #[ts(flatten)]
    pub stats: crate::traces::RouteStats,
    /// Errors over requests, 0..=100, to one decimal.
    pub error_percent: f64,
    pub provenance: StoredRows,
}

/// How many routes the section lists.
pub const ROUTES_TOP: usize = 20;

/// The busiest routes of the period (most requests first), from the span
/// store's per-minute route rollups over `[from, to]`.
pub fn routes(
    stats: Vec<crate::traces::RouteStats>,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> Vec<RouteLine> {
    let mut lines: Vec<RouteLine> = stats
        .into_iter()
        .map(|s| RouteLine {
            provenance: StoredRows {
                anchor: format!(
                    "r-{}-{}",
                    s.service.replace(|c: char| !c.is_ascii_alphanumeric(), "-"),
                    s.route.replace(|c: char| !c.is_ascii_alphanumeric(), "-")
                ),
                what: format!(
                    "the span store's per-minute rollups of {} {} from {} to {} ({} requests received by Readyroom)",
                    s.service,
                    s.route,
                    super::html::stamp(from),
                    super::html::stamp(to),
                    s.requests
                ),
            },
            error_percent: crate::format::round1(s.error_ratio * 100.0),
            stats: s,
        })
        .collect();
    lines.sort_by(|a, b| {
        b.stats
            .requests
            .cmp(&a.stats.requests)
            .then(a.stats.route.cmp(&b.stats.route))
    });
    lines.truncate(ROUTES_TOP);
    lines
}

/// When requests waited for a database connection in the period.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PoolSection {
    /// Whether any pool sample of the period was stored (a sampler ran).
    pub sampled: bool,
    /// How many stretches of saturation, and their time together.
    pub stretches: u32,
    pub saturated_seconds: f64,
    /// The longest stretches, longest first (at most five).
    pub longest: Vec<crate::pools::saturated::SaturatedStretch>,
    pub provenance: StoredRows,
}

/// The period's saturation from the pool samples' series.
pub fn pool_saturation(
    series: &crate::pools::series::PoolSeries,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> PoolSection {
    let samples = series.server.len() + series.pooler.len() + series.app.len();
    let mut longest = series.saturated.clone();
    longest.sort_by(|a, b| {
        (b.to - b.from)
            .total_cmp(&(a.to - a.from))
            .then(a.from.total_cmp(&b.from))
    });
    longest.truncate(5);
    let drawn = match series.stretch_ms {
        Some(ms) => format!(", the busiest of each {:.0} s", ms / 1000.0),
        None => String::new(),
    };
    PoolSection {
        sampled: samples > 0 || !series.outages.is_empty() || !series.saturated.is_empty(),
        stretches: u32::try_from(series.saturated.len()).unwrap_or(u32::MAX),
        // An empty f64 sum is -0.0; + 0.0 makes it the 0.0 people read.
        saturated_seconds: crate::format::round1(
            series
                .saturated
                .iter()
                .map(|s| (s.to - s.from) / 1000.0)
                .sum::<f64>()
                + 0.0,
        ),
        longest,
        provenance: StoredRows {
            anchor: "pool-samples".into(),
            what: format!(
                "the pool sampler's stored samples from {} to {} ({samples} read{drawn})",
                super::html::stamp(from),
                super::html::stamp(to)
            ),
        },
    }
}
