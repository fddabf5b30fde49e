//! Every command the UI can send, with its request and response types.
//! On the wire: `{ "cmd": "run_scorecard", "payload": { ... } }`, camelCase.

use readyroom_core::diff::ScorecardDiff;
use readyroom_core::scorecard::Scorecard;
use readyroom_core::source_text::Problem;
use readyroom_store::RunSummary;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use ts_rs::TS;

/// A command and its request. The response type is named in each variant's doc.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(tag = "cmd", content = "payload", rename_all = "snake_case")]
pub enum Command {
    /// → [`AppInfo`]
    GetAppInfo(Empty),
    /// → [`ScorecardView`]: the latest stored scorecard and its diff.
    GetScorecard(EnvironmentRequest),
    /// → [`ScorecardView`]: runs the probes now, stores and returns the result.
    RunScorecard(EnvironmentRequest),
    /// → [`HistoryView`]
    ListHistory(HistoryRequest),
    /// → [`Chart`]
    GetTrendChart(TrendChartRequest),
    /// → [`SecretsView`]
    ListSecrets(EnvironmentFilter),
    /// → [`SecretSet`]; the value goes to the keychain and is never returned.
    SetSecret(SetSecretRequest),
    /// → [`SourcesView`]
    GetSourceStatus(EnvironmentRequest),
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct Empty {}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentRequest {
    pub environment: String,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentFilter {
    #[serde(default)]
    #[ts(optional)]
    pub environment: Option<String>,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HistoryRequest {
    #[serde(default)]
    #[ts(optional)]
    pub environment: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub limit: Option<u32>,
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

/// The value is write-only: it is deserialized straight into a
/// `Sensitive` and never logged (this type has no `Debug` of the value).
#[derive(Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SetSecretRequest {
    pub name: String,
    pub value: String,
}

impl std::fmt::Debug for SetSecretRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetSecretRequest")
            .field("name", &self.name)
            .field("value", &"<redacted>")
            .finish()
    }
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub version: String,
    pub config_path: Option<String>,
    pub config_valid: bool,
    /// Why the config is not usable, when it is not.
    pub config_error: Option<String>,
    pub problems: Vec<Problem>,
    pub environments: Vec<EnvironmentInfo>,
    pub default_environment: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentInfo {
    pub name: String,
    pub base_url: Option<String>,
    /// Keychain entries this environment references.
    pub secrets: Vec<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ScorecardView {
    pub scorecard: Option<Scorecard>,
    /// Against the run before it, when there is one.
    pub diff: Option<ScorecardDiff>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HistoryView {
    pub runs: Vec<RunSummary>,
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
pub struct SecretsView {
    pub secrets: Vec<SecretStatusRow>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SecretStatusRow {
    pub name: String,
    pub environment: String,
    /// The config key that references it, e.g. `postgres.url_secret`.
    pub key: String,
    pub set: bool,
    /// "keychain" or "environment" when set.
    pub from: Option<String>,
    pub env_var: String,
    pub problem: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SecretSet {
    pub name: String,
    pub set: bool,
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
