//! What the quota commands take and answer.

use readyroom_core::quota::{Price, QuotaReading, QuotaTrend, TierLimits};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct QuotaRequest {
    #[serde(default)]
    #[ts(optional)]
    pub environment: Option<String>,
    /// Only this tier's workspaces in the lists (any case).
    #[serde(default)]
    #[ts(optional)]
    pub tier: Option<String>,
    /// How many workspaces each list holds at most (default 50, at most
    /// 1,000); each says how many there were in all.
    #[serde(default)]
    #[ts(optional)]
    pub cap: Option<u32>,
}

/// A tier's limits as the plans in effect say, and whether the config set
/// any of them.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PlanView {
    pub tier: String,
    pub limits: TierLimits,
    /// Whether `[quota.tiers.NAME]` set this tier's limits (else PRODUCT.md's
    /// plan table).
    pub configured: bool,
    /// What its AI tokens are priced as (`[quota.ai_cost]`, else the
    /// default).
    pub ai_price: Price,
}

/// A quota source that failed: where, why, and since when (the view keeps
/// the last good reading).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct QuotaProblem {
    pub source: String,
    pub reason: String,
    /// The first failure in the current run of failures (RFC 3339).
    pub since: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct QuotaView {
    pub environment: String,
    /// Whether the environment has a `[quota]` section.
    pub configured: bool,
    /// Where usage is read: `postgres HOST:PORT/DB, relation NAME` or the
    /// usage URL (never with credentials).
    pub source: Option<String>,
    /// The latest good reading (stale when `problem` is set).
    pub reading: Option<QuotaReading>,
    pub problem: Option<QuotaProblem>,
    pub plans: Vec<PlanView>,
    /// The tier the lists were asked for, if one.
    pub tier: Option<String>,
    pub cap: u32,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct QuotaTrendRequest {
    #[serde(default)]
    #[ts(optional)]
    pub environment: Option<String>,
    /// Whole UTC days back, today included (default 7, at most 90).
    #[serde(default)]
    #[ts(optional)]
    pub days: Option<u32>,
}

/// The quota sampler's snapshots over the last days, from the local store.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct QuotaTrendView {
    pub environment: String,
    /// Whether the environment has a `[quota]` section.
    pub configured: bool,
    /// Whether this process runs the sampler (the desktop app and `serve`
    /// do; a CLI command reads what they stored).
    pub sampling: bool,
    #[ts(type = "number")]
    pub every_ms: u64,
    pub trend: QuotaTrend,
    /// Stored rows that could not be read back.
    pub skipped: u32,
}
