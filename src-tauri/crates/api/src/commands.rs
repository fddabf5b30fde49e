//! Every command the UI (and the CLI) can send, declared once: name,
//! request type, response type, handler. Adding a command is one line
//! here and its handler in its area's module; the TypeScript follows with
//! `UPDATE_BINDINGS=1 cargo test -p readyroom-api --test bindings`.

use serde::Deserialize;
use ts_rs::TS;

use crate::audit::{self, AuditRequest, AuditView};
use crate::define::define_commands;
use crate::demo::{self, DemoInfo, DemoStopped};
use crate::deploys::{
    self, DeploysRequest, DeploysView, Preflight, PreflightRequest, RollbackOutcome,
    TriggerRollbackRequest,
};
use crate::pools::{
    self, BackendSignalled, PoolWaitsRequest, PoolWaitsView, PoolsRequest, PoolsView, PoolsWatched,
    SignalBackendRequest, WatchPoolsRequest,
};
use crate::quota::{self, QuotaRequest, QuotaTrendRequest, QuotaTrendView, QuotaView};
use crate::report::{self, ReportRequest, ReportView, SavedReport};
use crate::scorecard::{
    self, Chart, HistoryRequest, HistoryView, ScorecardView, SourcesView, TrendChartRequest,
};
use crate::secrets::{self, SecretRemoved, SecretSet, SecretsView, SetSecretRequest};
use crate::settings::edit::{ConfigFile, EditConfigRequest};
use crate::settings::form::{CheckConfigRequest, ConfigCheck, EnvironmentForm};
use crate::settings::test_connection::{ConnectionTest, TestConnectionRequest};
use crate::settings::{self, AppInfo};
use crate::traces::{
    self, OpenTraceFileRequest, OpenedFile, ReceiverStatus, SpanDetail, SpanRequest, TraceColumns,
    TraceCompareRequest, TraceComparisonView, TraceExport, TraceListRequest, TraceListView,
    TraceRequest, TraceSearchRequest, TraceSearchView, TraceStatsRequest, TraceStatsView,
    TraceView,
};

define_commands! {
    /// The app's version, its config (path, validity, every problem) and
    /// environments.
    get_app_info => GetAppInfo(Empty) -> AppInfo = settings::get_app_info;
    /// The config file's path, whether it exists, its revision and
    /// environments.
    get_config_file => GetConfigFile(Empty) -> ConfigFile = settings::edit::get_config_file;
    /// Edits the config file (environments and their keys), keeping its
    /// comments; validated first, written atomically, the previous kept.
    edit_config => EditConfig(EditConfigRequest) -> ConfigFile = settings::edit::edit_config;
    /// The environment form of Settings: its sections and keys (meaning,
    /// default, kind) and the environment's values as the file has them.
    get_environment_form => GetEnvironmentForm(EnvironmentFilter) -> EnvironmentForm = settings::form::get_environment_form;
    /// The problems pending edits would make, by `config check`'s rules;
    /// nothing is written.
    check_config_edits => CheckConfigEdits(CheckConfigRequest) -> ConfigCheck = settings::form::check_config_edits;
    /// Runs one source once against an environment as a form has it (saved
    /// or not) and says whether it answered, and why not.
    test_connection => TestConnection(TestConnectionRequest) -> ConnectionTest = settings::test_connection::test_connection;
    /// Starts the demo production inside the app and switches the app to
    /// its config until it stops (with the app, or `stop_demo`).
    start_demo => StartDemo(Empty) -> DemoInfo = demo::start_demo;
    /// Stops the in-app demo; the app reads the operator's config again.
    stop_demo => StopDemo(Empty) -> DemoStopped = demo::stop_demo;
    /// The latest stored scorecard of an environment and its diff.
    get_scorecard => GetScorecard(EnvironmentRequest) -> ScorecardView = scorecard::get_scorecard;
    /// Runs the probes now, stores and returns the result.
    run_scorecard => RunScorecard(EnvironmentRequest) -> ScorecardView = scorecard::run_scorecard;
    /// Past runs, newest first.
    list_history => ListHistory(HistoryRequest) -> HistoryView = scorecard::list_history;
    /// The score trend as an SVG chart.
    get_trend_chart => GetTrendChart(TrendChartRequest) -> Chart = scorecard::get_trend_chart;
    /// The weekly review of an environment from its stored runs: score,
    /// grade and coverage at the start and now, what moved, the path to the
    /// next grade, every number with its provenance; as HTML and Markdown.
    get_weekly_report => GetWeeklyReport(ReportRequest) -> ReportView = report::get_weekly_report;
    /// Writes the weekly review (HTML and Markdown) into the data
    /// directory's `reports/` folder and says where.
    save_weekly_report => SaveWeeklyReport(ReportRequest) -> SavedReport = report::save_weekly_report;
    /// Each source's freshness for the status bar.
    get_source_status => GetSourceStatus(EnvironmentRequest) -> SourcesView = scorecard::get_source_status;
    /// The secrets the config references and whether each is set; never values.
    list_secrets => ListSecrets(EnvironmentFilter) -> SecretsView = secrets::list_secrets;
    /// Stores a secret in the keychain; the value is never returned.
    set_secret => SetSecret(SetSecretRequest) -> SecretSet = secrets::set_secret;
    /// Removes a secret from the keychain.
    remove_secret => RemoveSecret(SecretName) -> SecretRemoved = secrets::remove_secret;
    /// Requests per service and route over a window: rate, errors, p50/p95/p99.
    get_trace_stats => GetTraceStats(TraceStatsRequest) -> TraceStatsView = traces::handlers::get_trace_stats;
    /// Where the OTLP receiver listens, or why it does not.
    get_receiver_status => GetReceiverStatus(Empty) -> ReceiverStatus = traces::receiver_status::get_receiver_status;
    /// Traces of an environment, newest first, filtered.
    list_traces => ListTraces(TraceListRequest) -> TraceListView = traces::handlers::list_traces;
    /// One trace as a tree with its critical path.
    get_trace => GetTrace(TraceRequest) -> TraceView = traces::handlers::get_trace;
    /// One trace for the waterfall: columns in tree order, laid out once.
    get_trace_columns => GetTraceColumns(TraceRequest) -> TraceColumns = traces::handlers::get_trace_columns;
    /// One span in full: attributes, events, links, resource.
    get_span => GetSpan(SpanRequest) -> SpanDetail = traces::span_detail::get_span;
    /// The spans of one trace whose name, attributes, events or resource
    /// mention a text.
    search_trace => SearchTrace(TraceSearchRequest) -> TraceSearchView = traces::search::search_trace;
    /// Reads an OTLP/JSON trace file into memory (not the store) and lists
    /// its traces; they open read-only through the commands above with
    /// `file` set to the answer's handle.
    open_trace_file => OpenTraceFile(OpenTraceFileRequest) -> OpenedFile = traces::opened::open_trace_file;
    /// One trace as OTLP/JSON, for other tools.
    export_trace => ExportTrace(TraceRequest) -> TraceExport = traces::handlers::export_trace;
    /// Two traces of one operation side by side: matched spans with their
    /// duration differences, and the spans only one of them has.
    compare_traces => CompareTraces(TraceCompareRequest) -> TraceComparisonView = traces::handlers::compare_traces;
    /// How close an environment is to running out of connections, read
    /// from its PostgreSQL server, its pooler and the app's pool now.
    get_pools => GetPools(PoolsRequest) -> PoolsView = pools::get_pools;
    /// The Pools view is open: sample its environment every second for the
    /// next few seconds (renewed by the view while it stays open).
    watch_pools => WatchPools(WatchPoolsRequest) -> PoolsWatched = pools::watch_pools;
    /// Each route's share of time spent waiting for a database connection,
    /// from connection-acquire spans in the newest traces of a window.
    get_pool_waits => GetPoolWaits(PoolWaitsRequest) -> PoolWaitsView = pools::waits::get_pool_waits;
    /// Cancels one backend's query, or terminates its session: an action
    /// against production, allowed per environment (`allow_cancel`), with
    /// a reason and the environment's name typed; audited.
    signal_backend => SignalBackend(SignalBackendRequest) -> BackendSignalled = pools::cancel::signal_backend;
    /// Per-tier quota usage read now: totals, who is near or over each
    /// limit, who will run out before the window resets.
    get_quota => GetQuota(QuotaRequest) -> QuotaView = quota::get_quota;
    /// The quota sampler's snapshots over the last days (from the local
    /// store): who was throttled on which day, each tier's 429s per day.
    get_quota_trend => GetQuotaTrend(QuotaTrendRequest) -> QuotaTrendView = quota::trend::get_quota_trend;
    /// Every action taken against production, newest first, with the
    /// audit log's hash chain verified.
    get_audit_log => GetAuditLog(AuditRequest) -> AuditView = audit::get_audit_log;
    /// Production's deployments from the environment's provider, what a
    /// rollback would do now, and the undo on offer; settles interrupted
    /// rollbacks in the audit log.
    list_deploys => ListDeploys(DeploysRequest) -> DeploysView = deploys::list_deploys;
    /// Checks a rollback (or its undo) without sending it: the credential,
    /// the provider, the target, what changes and what the provider does
    /// after.
    preflight_rollback => PreflightRollback(PreflightRequest) -> Preflight = deploys::preflight_rollback;
    /// Rolls production back (or undoes the last rollback): a reason and
    /// the environment's name typed; pre-flight, audited intent, one call
    /// to the provider, outcome, verification of health. A dry run stops
    /// after the pre-flight and records that it did.
    trigger_rollback => TriggerRollback(TriggerRollbackRequest) -> RollbackOutcome = deploys::execute::trigger_rollback;
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
pub struct SecretName {
    pub name: String,
}
