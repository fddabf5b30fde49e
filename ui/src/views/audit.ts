// The audit log: every action taken against production, newest first, one
// row per action (its intent and, when it came, its outcome), and whether
// the log's hash chain holds. Shown whole in Settings and, for one
// environment, under the Pools view.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { call, CommandError } from '../backend';
import type { AuditRow } from '../bindings/AuditRow';
import type { AuditView } from '../bindings/AuditView';
import { stamp } from '../format';

/** An intent, the outcome that answers it (absent while unanswered) and,
 *  for a rollback, what verification saw of production's health after. */
interface Action {
  intent: AuditRow;
  outcome: AuditRow | null;
  verification: AuditRow | null;
}

/** Pairs each intent with its outcome and verification; the rows come
 *  newest first. */
export function actionsOf(rows: AuditRow[]): Action[] {
  const by = (phase: string) =>
    new Map(rows.filter((r) => r.phase === phase && r.intent).map((r) => [r.intent as string, r]));
  const outcomes = by('outcome');
  const verifications = by('verification');
  return rows.filter((r) => r.phase === 'intent').map((intent) => ({
    intent,
    outcome: outcomes.get(intent.id) ?? null,
    verification: verifications.get(intent.id) ?? null,
  }));
}

const RESULT: Record<string, string> = { done: 'done', notDone: 'not done', dryRun: 'dry run' };

function Result({ action }: { action: Action }) {
  const o = action.outcome;
  const v = action.verification;
  if (o?.result)
    return html`<span class=${o.result === 'done' ? 'ok-text' : o.result === 'dryRun' ? '' : 'error-text'}>${RESULT[o.result]}</span>
      ${o.deploy?.reconciled ? html` <span class="muted">(reconciled)</span>` : null}
      <div class="muted">${o.detail}</div>
      ${v ? html`<div class=${v.deploy?.healthy === false ? 'error-text' : v.deploy?.healthy ? 'ok-text' : 'muted'}>${v.detail}</div>` : null}`;
  if (action.intent.outcomeUnknown)
    return html`<span class="error-text">outcome unknown</span>
      <div class="muted">Readyroom stopped between sending and recording the answer: check production.</div>`;
  return html`<span class="muted">in progress</span>`;
}

export function AuditLog({
  environment,
  limit,
  refresh = 0,
}: {
  /** Only this environment's actions. */
  environment?: string;
  /** At most this many actions. */
  limit?: number;
  /** Changes when an action was just taken. */
  refresh?: number;
}) {
  const [log, setLog] = useState<AuditView | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    call('get_audit_log', environment ? { environment } : {})
      .then((v) => {
        setLog(v);
        setError(null);
      })
      .catch((e) => setError(e instanceof CommandError ? e.message : String(e)));
  }, [environment, refresh]);

  if (error) return html`<p class="error-text" role="alert">The audit log could not be read: ${error}</p>`;
  if (!log) return html`<p class="muted">Reading the audit log…</p>`;
  const actions = actionsOf(log.entries);
  const shown = limit ? actions.slice(0, limit) : actions;
  return html`<div class="audit-log" data-testid="audit-log">
    ${log.broken
      ? html`<p class="error-text" role="alert" data-testid="audit-verdict">
          The audit log's chain breaks at entry ${log.broken.seq}: ${log.broken.reason}. Entries from there on cannot be
          trusted; keep the store file for investigation.</p>`
      : html`<p class="muted" data-testid="audit-verdict">
          ${log.total === 0 ? 'No action has been taken yet.' : `Chain intact: all ${log.total} entries verified.`}</p>`}
    ${shown.length
      ? html`<table class="audit">
          <tr><th>when</th><th>environment</th><th>who</th><th>action</th><th>target</th><th>reason</th><th>result</th></tr>
          ${shown.map(
            (a) => html`<tr data-seq=${a.intent.seq}>
              <td>${stamp(a.intent.at)}</td><td>${a.intent.environment}</td><td>${a.intent.operator}</td>
              <td><code>${a.intent.action}</code></td><td>${a.intent.target}</td><td>${a.intent.reason}</td>
              <td><${Result} action=${a} /></td>
            </tr>`,
          )}
        </table>`
      : log.total > 0
        ? html`<p class="muted">No action on ${environment} yet.</p>`
        : null}
    ${limit && actions.length > limit ? html`<p class="muted">The newest ${limit} of ${actions.length}; Settings lists all.</p>` : null}
  </div>`;
}
