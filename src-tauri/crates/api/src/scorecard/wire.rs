//! The scorecard area's requests and responses, as the UI sees them.

use readyroom_core::diff::ScorecardDiff;
use readyroom_core::scorecard::{Grade, Scorecard};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use ts_rs::TS;

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ScorecardView {
    pub scorecard: Option<Scorecard>,
    /// Against the run before it, when there is one.
    pub diff: Option<ScorecardDiff>,
    /// Stored runs that could not be read back (damaged, or written by a
    /// newer Readyroom) and were skipped, one message each.
    pub skipped: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HistoryRequest {
    #[serde(default)]
    #[ts(optional)]
    pub environment: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HistoryView {
    pub runs: Vec<RunSummary>,
}

/// A stored run, without its full scorecard.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RunSummary {
    pub id: i64,
    pub environment: String,
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    pub measured_at: OffsetDateTime,
    pub score: f64,
    pub grade: Grade,
    pub coverage: f64,
}

impl From<readyroom_store::StoredRun> for RunSummary {
    fn from(r: readyroom_store::StoredRun) -> Self {
        RunSummary {
            id: r.id,
            environment: r.environment,
            measured_at: r.measured_at,
            score: r.score,
            grade: r.grade,
            coverage: r.coverage,
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ChartTheme {
    Light,
    Dark,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TrendChartRequest {
    pub environment: String,
    pub theme: ChartTheme,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Chart {
    /// A standalone SVG document drawn by plotters.
    pub svg: String,
    pub points: u32,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SourcesView {
    pub sources: Vec<SourceStatus>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum SourceState {
    Ok,
    Unreachable,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SourceStatus {
    pub source: String,
    pub target: String,
    pub state: SourceState,
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    pub checked_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[ts(type = "string | null")]
    pub last_ok_at: Option<OffsetDateTime>,
    /// When it became unreachable, if it is.
    #[serde(with = "time::serde::rfc3339::option")]
    #[ts(type = "string | null")]
    pub since: Option<OffsetDateTime>,
    pub detail: Option<String>,
}
