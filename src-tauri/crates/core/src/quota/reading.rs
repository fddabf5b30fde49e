//! One reading of a quota source: the summary per tier and the lists of
//! workspaces to look at, as of one instant (the source's clock where it
//! has one: PostgreSQL's `now()`).

use serde::Serialize;
use time::OffsetDateTime;
use ts_rs::TS;

use super::cost::AiCost;
use super::lists::{pick, ListRequest, WorkspaceList};
use super::plans::Plans;
use super::summary::{summarize, workspaces, TierSummary};
use super::usage::UsageRow;

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct QuotaReading {
    /// The instant the windows were judged at (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    pub at: OffsetDateTime,
    pub tiers: Vec<TierSummary>,
    /// Over, near, projected, throttled, any and spenders, in that order.
    pub lists: Vec<WorkspaceList>,
    /// AI cost today per tier (the top spenders are a list).
    pub ai_cost: AiCost,
}

impl QuotaReading {
    /// The reading of rows that arrived whole (the HTTP source), at `now`.
    pub fn of_rows(
        rows: &[UsageRow],
        plans: &Plans,
        request: &ListRequest,
        now: OffsetDateTime,
    ) -> QuotaReading {
        let tiers = summarize(rows, plans, now);
        QuotaReading {
            at: now,
            ai_cost: AiCost::of(&tiers, plans.prices()),
            tiers,
            lists: pick(&workspaces(rows, plans, now), request),
        }
    }
}
