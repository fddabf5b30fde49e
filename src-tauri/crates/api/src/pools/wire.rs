//! The pools area's requests and responses, as the UI and CLI see them.

use readyroom_core::pools::series::PoolSeries;
use readyroom_core::pools::{
    AppPoolSample, BlockingNode, NoRate, PoolerRates, PoolerSample, Saturation, ServerRates,
    ServerSample,
};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PoolsRequest {
    #[serde(default)]
    #[ts(optional)]
    pub environment: Option<String>,
    /// Read the longest queries' text too (truncated). Never stored.
    #[serde(default)]
    #[ts(optional)]
    pub queries: Option<bool>,
    /// How many minutes of stored samples to chart (default 15, at most
    /// 1,440).
    #[serde(default)]
    #[ts(optional)]
    pub minutes: Option<u32>,
}

/// How close an environment is to running out of connections, now.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PoolsView {
    pub environment: String,
    /// When this reading was taken (RFC 3339).
    pub at: String,
    /// The one sentence at the top, from the latest good samples.
    pub saturation: Saturation,
    pub server: ServerPanel,
    pub pooler: PoolerPanel,
    pub app: AppPoolPanel,
    /// The stored samples of the last `minutes`, for the charts (empty
    /// where nothing sampled in the background).
    pub series: PoolSeries,
    pub minutes: u32,
    /// Stored samples that could not be read back (damaged, or newer).
    pub skipped: u32,
}

/// A source that failed: why, and since when (its panel keeps the last
/// good sample).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SourceProblem {
    /// `postgres host:port/db`, `pgbouncer host:port`, a metrics URL.
    pub source: String,
    pub reason: String,
    /// The first failure in the current run of failures (RFC 3339).
    pub since: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ServerPanel {
    /// Whether the environment names a PostgreSQL source.
    pub configured: bool,
    /// The latest good sample (stale when `problem` is set).
    pub sample: Option<ServerSample>,
    /// Who blocks whom in that sample.
    pub blocking: Vec<BlockingNode>,
    /// Commits and rollbacks since the sample before.
    pub rates: Option<ServerRates>,
    pub problem: Option<SourceProblem>,
    /// Whether the operator may cancel or terminate a backend from here.
    pub cancel: ActionAvailability,
}

/// Whether an action can be taken from this window, and why not.
#[derive(Debug, Clone, Default, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ActionAvailability {
    pub allowed: bool,
    /// What stops it, and how to allow it (absent when allowed, or when
    /// the source is not configured).
    #[ts(optional)]
    pub why_not: Option<String>,
}

impl ActionAvailability {
    /// What a permission check said: allowed, or its refusal's words.
    pub(crate) fn of<T>(check: Result<T, crate::ApiError>) -> Self {
        match check {
            Ok(_) => ActionAvailability {
                allowed: true,
                why_not: None,
            },
            Err(refused) => ActionAvailability {
                allowed: false,
                why_not: Some(refused.message),
            },
        }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PoolerPanel {
    pub configured: bool,
    pub sample: Option<PoolerSample>,
    /// Transactions, queries and waits since the sample before.
    pub rates: Option<PoolerRates>,
    /// Why there are no rates: a counter reset (the pooler restarted) or a
    /// gap; absent on a first sample.
    pub no_rates: Option<NoRate>,
    pub problem: Option<SourceProblem>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppPoolPanel {
    pub configured: bool,
    pub sample: Option<AppPoolSample>,
    pub problem: Option<SourceProblem>,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WatchPoolsRequest {
    #[serde(default)]
    #[ts(optional)]
    pub environment: Option<String>,
    /// Read the longest queries' text while watching (not stored unless
    /// the config keeps it).
    #[serde(default)]
    #[ts(optional)]
    pub queries: Option<bool>,
}

/// The live lease the view holds.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PoolsWatched {
    pub environment: String,
    /// Renew within this many seconds to keep sampling fast.
    pub lease_seconds: u32,
    /// How often it samples while watched, ms.
    #[ts(type = "number")]
    pub every_ms: u64,
    /// Whether a sampler runs in this process (not in one-shot CLI use).
    pub sampling: bool,
}
