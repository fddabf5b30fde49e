// The response type of each command (the Rust doc comment on each variant
// of `Command` names it). Request types come from the generated bindings.
import type { AppInfo } from '../bindings/AppInfo';
import type { Chart } from '../bindings/Chart';
import type { Command } from '../bindings/Command';
import type { HistoryView } from '../bindings/HistoryView';
import type { ScorecardView } from '../bindings/ScorecardView';
import type { SecretSet } from '../bindings/SecretSet';
import type { SecretsView } from '../bindings/SecretsView';
import type { SourcesView } from '../bindings/SourcesView';

export interface Responses {
  get_app_info: AppInfo;
  get_scorecard: ScorecardView;
  run_scorecard: ScorecardView;
  list_history: HistoryView;
  get_trend_chart: Chart;
  list_secrets: SecretsView;
  set_secret: SecretSet;
  get_source_status: SourcesView;
}

export type CommandName = Command['cmd'];
export type PayloadOf<K extends CommandName> = Extract<Command, { cmd: K }>['payload'];

// Compile-time check that every command has a response type and no more.
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
export const everyCommandHasAResponse: Exact<CommandName, keyof Responses> = true;
