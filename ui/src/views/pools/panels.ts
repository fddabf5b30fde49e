// The Pools view's panels, one per source: what it read last (kept when
// the source dies, under "unreachable since …"), the server's sessions by
// state and by application, the blocking tree and the oldest sessions;
// the pooler's pools; the app's pool.
import { html } from 'htm/preact';
import type { AppPoolPanel } from '../../bindings/AppPoolPanel';
import type { Backend } from '../../bindings/Backend';
import type { BlockingNode } from '../../bindings/BlockingNode';
import type { PoolerPanel } from '../../bindings/PoolerPanel';
import type { LatencyMinute } from '../../bindings/LatencyMinute';
import type { PoolWaitsView } from '../../bindings/PoolWaitsView';
import type { SaturatedStretch } from '../../bindings/SaturatedStretch';
import type { ServerPanel } from '../../bindings/ServerPanel';
import type { SourceProblem } from '../../bindings/SourceProblem';
import type { StateCounts } from '../../bindings/StateCounts';
import { ago, millis, num } from '../../format';
import { type Pick, SignalButtons } from './cancel';
import { Chart } from './chart';

export function Problem({ problem, kept }: { problem: SourceProblem | null; kept: boolean }) {
  if (!problem) return null;
  return html`<div class="source-problem" role="alert">
    <b>Unreachable since ${new Date(problem.since).toLocaleTimeString()}</b> (${ago(problem.since)}) — ${problem.source}:
    ${problem.reason}${kept ? html` <span class="muted">The last good reading is shown below.</span>` : null}
  </div>`;
}

/** Every client session a state count holds. */
function sessionsOf(st: StateCounts): number {
  return st.active + st.idle + st.idleInTransaction + st.idleInTransactionAborted + st.other + st.hidden;
}

function age(ms: number | null): string {
  return ms === null ? '—' : millis(ms);
}

function Tree({
  node,
  backends,
  onPick,
}: {
  node: BlockingNode;
  backends: Map<number, Backend>;
  onPick?: (p: Pick) => void;
}) {
  const b = backends.get(node.pid);
  return html`<li data-pid=${node.pid}>
    <span class="pid">pid ${node.pid}</span>
    ${b
      ? html` ${b.state ?? 'state hidden'}${b.stateAgeMs !== null ? ` for ${age(b.stateAgeMs)}` : ''}
          <span class="muted">${b.application || '—'} · ${b.user}</span>`
      : html` <span class="muted">not visible to this role</span>`}
    ${node.blockedTotal > 0 ? html` <b class="error-text">blocking ${node.blockedTotal}</b>` : null}
    ${b && onPick ? html` <${SignalButtons} backend=${b} onPick=${onPick} />` : null}
    ${node.waiting.length
      ? html`<ul>${node.waiting.map((n) => html`<${Tree} key=${n.pid} node=${n} backends=${backends} onPick=${onPick} />`)}</ul>`
      : null}
  </li>`;
}

export function ServerSection({
  panel,
  showQueries,
  onQueries,
  onPick,
}: {
  panel: ServerPanel;
  showQueries: boolean;
  onQueries: (on: boolean) => void;
  /** Cancel or terminate a backend (offered only where allowed). */
  onPick: (p: Pick) => void;
}) {
  const s = panel.sample;
  if (!panel.configured)
    return html`<p class="muted">Not configured: add <code>[environments.NAME.postgres]</code> with <code>url_secret</code>.</p>`;
  const backends = new Map((s?.backends ?? []).map((b) => [b.pid, b]));
  // Live sessions only: a stale sample's pids may belong to others by now.
  const pick = panel.cancel.allowed && !panel.problem ? onPick : undefined;
  const sessions = [...(s?.backends ?? [])]
    .filter((b) => b.queryAgeMs !== null)
    .sort((a, b) => (b.xactAgeMs ?? b.queryAgeMs ?? 0) - (a.xactAgeMs ?? a.queryAgeMs ?? 0))
    .slice(0, 8);
  return html`<${Problem} problem=${panel.problem} kept=${!!s} />
    ${s
      ? html`<p class="muted">${s.source} · ${`${sessionsOf(s.states)} of ${s.maxConnections - s.reservedConnections}`} usable (max_connections ${s.maxConnections} minus ${s.reservedConnections} reserved)</p>
          <table class="states">
            <tr><th>active</th><th>idle</th><th>idle in transaction</th><th>aborted</th><th>other</th><th>hidden</th></tr>
            <tr><td>${s.states.active}</td><td>${s.states.idle}</td><td>${s.states.idleInTransaction}</td>
              <td>${s.states.idleInTransactionAborted}</td><td>${s.states.other}</td><td>${s.states.hidden}</td></tr>
          </table>
          ${s.states.hidden > 0
            ? html`<p class="muted">${s.states.hidden} sessions of other roles hide their state: grant <code>pg_monitor</code> to Readyroom's role.</p>`
            : null}
          ${panel.blocking.length
            ? html`<h3>Blocking</h3><ul class="blocking">${panel.blocking.map((n) => html`<${Tree} key=${n.pid} node=${n} backends=${backends} onPick=${pick} />`)}</ul>`
            : html`<p class="muted">No session waits on a lock.</p>`}
          <h3>By application, user and client</h3>
          <table class="groups">
            <tr><th>application</th><th>user</th><th>client</th><th>sessions</th><th>active</th><th>idle in transaction</th></tr>
            ${s.groups.slice(0, 10).map(
              (g) => html`<tr><td>${g.application || '—'}</td><td>${g.user}</td><td>${g.client || '—'}</td>
                <td>${sessionsOf(g.states)}</td>
                <td>${g.states.active}</td><td>${g.states.idleInTransaction + g.states.idleInTransactionAborted}</td></tr>`,
            )}
          </table>
          <h3>
            Oldest transactions and longest queries
            <label class="toggle"><input type="checkbox" checked=${showQueries}
              onChange=${(e: Event) => onQueries((e.target as HTMLInputElement).checked)} /> show query text</label>
          </h3>
          ${sessions.length
            ? html`<table class="sessions">
                <tr><th>pid</th><th>state</th><th>transaction</th><th>in state</th><th>application</th><th>user</th>${showQueries ? html`<th>query</th>` : null}${pick ? html`<th></th>` : null}</tr>
                ${sessions.map(
                  (b) => html`<tr key=${b.pid} class=${b.blockedBy.length ? 'waiting' : ''} data-pid=${b.pid}>
                    <td>${b.pid}</td><td>${b.state ?? 'hidden'}</td><td>${age(b.xactAgeMs)}</td><td>${age(b.stateAgeMs)}</td>
                    <td>${b.application || '—'}</td><td>${b.user}</td>
                    ${showQueries ? html`<td class="query"><code>${b.query ?? ''}</code></td>` : null}
                    ${pick ? html`<td><${SignalButtons} backend=${b} onPick=${pick} /></td>` : null}
                  </tr>`,
                )}
              </table>`
            : html`<p class="muted">No open transaction or running query.</p>`}
          ${panel.cancel.whyNot
            ? html`<p class="muted" data-testid="cancel-off">Cancel and terminate are not offered here: ${panel.cancel.whyNot}.</p>`
            : null}`
      : panel.problem
        ? null
        : html`<p class="muted">Reading…</p>`}`;
}

export function PoolerSection({ panel }: { panel: PoolerPanel }) {
  if (!panel.configured)
    return html`<p class="muted">Not configured: add <code>[environments.NAME.pgbouncer]</code> with <code>url_secret</code> (a <code>stats_users</code> account on the admin console).</p>`;
  const s = panel.sample;
  return html`<${Problem} problem=${panel.problem} kept=${!!s} />
    ${s
      ? html`<p class="muted">${s.source}
            ${panel.rates
              ? html` · ${num(panel.rates.transactionsPerSecond)} transactions/s, ${num(panel.rates.queriesPerSecond)} queries/s,
                  clients waited ${millis(panel.rates.waitMs)} in all over the last ${millis(panel.rates.seconds * 1000)}`
              : panel.noRates === 'reset'
                ? ' · no rates for this interval: the pooler restarted (its counters went back to zero)'
                : panel.noRates === 'gap'
                  ? ' · no rates for this interval: the pooler was unreachable in between'
                  : null}</p>
          <table class="pools">
            <tr><th>database</th><th>user</th><th>mode</th><th>clients active</th><th>waiting</th><th>longest wait</th><th>servers active</th><th>idle</th><th>used</th></tr>
            ${s.pools.map(
              (p) => html`<tr class=${p.clWaiting > 0 ? 'waiting' : ''}>
                <td>${p.database}</td><td>${p.user}</td><td>${p.poolMode}</td><td>${p.clActive}</td>
                <td>${p.clWaiting}</td><td>${millis(p.maxwaitUs / 1000)}</td><td>${p.svActive}</td><td>${p.svIdle}</td><td>${p.svUsed}</td></tr>`,
            )}
          </table>
          ${s.pools.length === 0 ? html`<p class="muted">No pool has been used yet.</p>` : null}`
      : panel.problem
        ? null
        : html`<p class="muted">Reading…</p>`}`;
}

export function AppSection({ panel }: { panel: AppPoolPanel }) {
  if (!panel.configured)
    return html`<p class="muted">Not configured: set <code>metrics_url</code> (or <code>[environments.NAME.app_pool]</code>).</p>`;
  const s = panel.sample;
  const f = (v: number | null) => (v === null ? '—' : num(v));
  return html`<${Problem} problem=${panel.problem} kept=${!!s} />
    ${s
      ? html`<p class="app-figures">
          <span><b>${f(s.inUse)}</b> in use</span><span><b>${f(s.idle)}</b> idle</span>
          <span class=${(s.waiting ?? 0) > 0 ? 'error-text' : ''}><b>${f(s.waiting)}</b> waiting</span><span>max <b>${f(s.max)}</b></span>
          <span class="muted">${s.source} (${s.names} metrics)</span>
        </p>`
      : panel.problem
        ? null
        : html`<p class="muted">Reading…</p>`}`;
}

/** Each minute's p95 as a step across its minute (it is the whole
 * minute's; the current one up to `to`), broken where a minute had no
 * requests. */
function minuteSteps(minutes: LatencyMinute[], to: number): Array<[number, number | null]> {
  const points: Array<[number, number | null]> = [];
  minutes.forEach((m, i) => {
    const end = m.t + 60_000;
    points.push([m.t, m.p95Ms], [Math.min(end, to), m.p95Ms]);
    if (minutes[i + 1]?.t !== end) points.push([end, null]);
  });
  return points;
}

/** Each route's share of time spent waiting for a connection, and the
 * first route's latency with the pool's saturated stretches marked. */
export function WaitsSection({
  waits,
  saturated,
  from,
  to,
}: {
  waits: PoolWaitsView | null;
  saturated: SaturatedStretch[];
  from: number;
  to: number;
}) {
  if (!waits) return html`<p class="muted">Reading traces…</p>`;
  const latency = waits.latency;
  const shown = waits.routes.filter((r) => r.requests > 0).slice(0, 8);
  // A share worth a sentence: 1 % of a route's time or more.
  const top = shown.find((r) => r.sharePct >= 1);
  const largest = shown[0];
  const pct = (v: number) => `${v.toFixed(1)} %`;
  return html`${top
      ? html`<p class="sentence-small"><b>${Math.round(top.sharePct)} %</b> of ${top.route} time was spent waiting for a connection
          (${top.waited} of ${top.requests} requests waited 1 ms or more).</p>`
      : html`<p class="muted">${waits.traces === 0
          ? `No traces in the last ${waits.minutes} min to look at.`
          : `Requests barely waited for a connection in the last ${waits.minutes} min${largest ? `: at most ${pct(largest.sharePct)} of any route's time` : ''}.`}</p>`}
    ${shown.length
      ? html`<table class="waits">
          <tr><th>route</th><th>service</th><th>requests</th><th>waited</th><th>time waiting</th><th>share of request time</th></tr>
          ${shown.map(
            (r) => html`<tr>
              <td>${r.route}</td><td>${r.service}</td><td>${r.requests}</td><td>${r.waited}</td><td>${millis(r.waitMs)}</td>
              <td><meter min="0" max="100" value=${r.sharePct}></meter> ${pct(r.sharePct)}</td>
            </tr>`,
          )}
        </table>`
      : null}
    ${latency
      ? html`<${Chart} title=${`${latency.route} (${latency.service}): p95 per minute`} from=${from} to=${to} format=${millis}
          lines=${[{ label: 'p95', cls: 'series-1', points: minuteSteps(latency.minutes, to) }]}
          saturated=${saturated} />`
      : null}
    ${waits.traces > 0
      ? html`<p class="muted">From the newest ${waits.traces} traces of the last ${waits.minutes} min${waits.capped ? ' (more were there)' : ''}; waiting is time in spans named ${waits.spanNames.join(', ')}.</p>`
      : html`<p class="muted">Send the environment's traces to Readyroom; waiting is time in spans named ${waits.spanNames.join(', ')}.</p>`}`;
}
