// Generated from the command declarations in src-tauri/crates/api/src/commands.rs. Do not edit.
import type { AppInfo } from "./AppInfo";
import type { AuditView } from "./AuditView";
import type { BackendSignalled } from "./BackendSignalled";
import type { Chart } from "./Chart";
import type { HistoryView } from "./HistoryView";
import type { OpenedFile } from "./OpenedFile";
import type { PoolWaitsView } from "./PoolWaitsView";
import type { PoolsView } from "./PoolsView";
import type { PoolsWatched } from "./PoolsWatched";
import type { QuotaTrendView } from "./QuotaTrendView";
import type { QuotaView } from "./QuotaView";
import type { ReceiverStatus } from "./ReceiverStatus";
import type { ScorecardView } from "./ScorecardView";
import type { SecretRemoved } from "./SecretRemoved";
import type { SecretSet } from "./SecretSet";
import type { SecretsView } from "./SecretsView";
import type { SourcesView } from "./SourcesView";
import type { SpanDetail } from "./SpanDetail";
import type { TraceColumns } from "./TraceColumns";
import type { TraceComparisonView } from "./TraceComparisonView";
import type { TraceExport } from "./TraceExport";
import type { TraceListView } from "./TraceListView";
import type { TraceSearchView } from "./TraceSearchView";
import type { TraceStatsView } from "./TraceStatsView";
import type { TraceView } from "./TraceView";

/** The response type of each command. */
export interface Responses {
  get_app_info: AppInfo;
  get_scorecard: ScorecardView;
  run_scorecard: ScorecardView;
  list_history: HistoryView;
  get_trend_chart: Chart;
  get_source_status: SourcesView;
  list_secrets: SecretsView;
  set_secret: SecretSet;
  remove_secret: SecretRemoved;
  get_trace_stats: TraceStatsView;
  get_receiver_status: ReceiverStatus;
  list_traces: TraceListView;
  get_trace: TraceView;
  get_trace_columns: TraceColumns;
  get_span: SpanDetail;
  search_trace: TraceSearchView;
  open_trace_file: OpenedFile;
  export_trace: TraceExport;
  compare_traces: TraceComparisonView;
  get_pools: PoolsView;
  watch_pools: PoolsWatched;
  get_pool_waits: PoolWaitsView;
  signal_backend: BackendSignalled;
  get_quota: QuotaView;
  get_quota_trend: QuotaTrendView;
  get_audit_log: AuditView;
}
