// Pools: how close the environment is to running out of database
// connections, live. The sentence at the top, charts of the last minutes
// from the background sampler, and a panel per source. While the view is
// open it holds a lease (`watch_pools`) so the sampler reads every second,
// and it refreshes on each `poolsSampled` event.
import { html } from 'htm/preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { call, CommandError, onEvent } from '../backend';
import type { PoolsView as View } from '../bindings/PoolsView';
import { millis, num } from '../format';
import { Chart } from './pools/chart';
import type { PoolWaitsView } from '../bindings/PoolWaitsView';
import { AppSection, PoolerSection, ServerSection, WaitsSection } from './pools/panels';
import { type Pick, SignalDialog } from './pools/cancel';
import { AuditLog } from './audit';

/** Chart windows, minutes; past an hour each point is a stretch's busiest. */
const WINDOWS = [5, 15, 60, 360, 1440] as const;
const windowLabel = (m: number) => (m < 60 ? `${m} min` : `${m / 60} h`);
/** Renew the lease well within its 5 s. */
const RENEW_MS = 2_000;

function minutesFromHash(): number {
  const q = new URLSearchParams(window.location.hash.split('?')[1] ?? '');
  const m = Number(q.get('minutes'));
  // Five minutes by default: right after start, a longer window shows
  // the few samples held as a sliver at its edge.
  return (WINDOWS as readonly number[]).includes(m) ? m : 5;
}

export function PoolsView({ environment }: { environment: string }) {
  const [view, setView] = useState<View | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [minutes, setMinutes] = useState(minutesFromHash());
  const [queries, setQueries] = useState(false);
  const [sampling, setSampling] = useState<boolean | null>(null);
  const [waits, setWaits] = useState<PoolWaitsView | null>(null);
  const [pick, setPick] = useState<Pick | null>(null);
  const [acted, setActed] = useState(0);
  const inFlight = useRef(false);

  // Which requests pay: read from traces every 10 s (not every sample).
  useEffect(() => {
    setWaits(null);
    const read = () =>
      call('get_pool_waits', { environment, minutes })
        .then(setWaits)
        .catch(() => {});
    void read();
    const timer = window.setInterval(read, 10_000);
    return () => window.clearInterval(timer);
  }, [environment, minutes]);

  const load = useCallback(async () => {
    if (inFlight.current) return;
    inFlight.current = true;
    try {
      setView(await call('get_pools', { environment, minutes, queries }));
      setError(null);
    } catch (e) {
      setError(e instanceof CommandError ? e.message : String(e));
    } finally {
      inFlight.current = false;
    }
  }, [environment, minutes, queries]);

  useEffect(() => {
    setView(null);
  }, [environment]);
  useEffect(() => {
    void load();
  }, [load]);

  // The lease: sample every second while this view is open.
  useEffect(() => {
    let stopped = false;
    const renew = () =>
      call('watch_pools', { environment, queries })
        .then((w) => !stopped && setSampling(w.sampling))
        .catch(() => {});
    void renew();
    const timer = window.setInterval(renew, RENEW_MS);
    return () => {
      stopped = true;
      window.clearInterval(timer);
    };
  }, [environment, queries]);

  // Each sample refreshes the view; without a sampler (it is off in this
  // process) the view reads on its own every few seconds.
  useEffect(
    () =>
      onEvent((e) => {
        if (e.type === 'poolsSampled' && e.environment === environment) void load();
      }),
    [environment, load],
  );
  useEffect(() => {
    if (sampling !== false) return;
    const timer = window.setInterval(() => void load(), 5_000);
    return () => window.clearInterval(timer);
  }, [sampling, load]);

  const choose = (m: number) => {
    setMinutes(m);
    window.history.replaceState(null, '', `#/pools?minutes=${m}`);
  };

  if (error && !view) return html`<div class="panel error" role="alert"><h2>Pools</h2><p>${error}</p></div>`;
  if (!view) return html`<div class="panel"><p class="muted">Reading the pools…</p></div>`;

  const to = Date.parse(view.at);
  const from = to - view.minutes * 60_000;
  const s = view.series;
  const outages = (kind: string) => s.outages.filter((o) => o.kind === kind);
  return html`<div class="pools-view">
    <div class="panel saturation level-${view.saturation.level}" role="status" aria-live="polite">
      <p class="sentence">${view.saturation.sentence}</p>
      <div class="pools-meta">
        <span class="muted">${view.environment} · ${new Date(view.at).toLocaleTimeString()}
          ${sampling ? ' · sampled every second while open' : sampling === false ? ' · read on demand (no sampler in this process)' : ''}
          ${s.stretchMs ? ` · charts: the busiest sample of each ${millis(s.stretchMs)}` : ''}</span>
        <span class="spacer"></span>
        <span class="windows" role="group" aria-label="Chart window">
          ${WINDOWS.map(
            (m) => html`<button class=${m === minutes ? 'primary' : 'ghost'} aria-pressed=${m === minutes} onClick=${() => choose(m)}>${windowLabel(m)}</button>`,
          )}
        </span>
      </div>
      ${error ? html`<p class="error-text">${error}</p>` : null}
      ${view.skipped ? html`<p class="muted">${view.skipped} stored samples could not be read and were skipped.</p>` : null}
    </div>

    <div class="pool-charts">
      ${view.server.configured
        ? html`<${Chart} title="Server connections by state" from=${from} to=${to} stacked=${true}
            lines=${[
              { label: 'active', cls: 'series-1', points: s.server.map((p) => [p.t, p.states.active]) },
              { label: 'idle in transaction', cls: 'series-warn', points: s.server.map((p) => [p.t, p.states.idleInTransaction + p.states.idleInTransactionAborted]) },
              { label: 'idle', cls: 'series-2', points: s.server.map((p) => [p.t, p.states.idle + p.states.other + p.states.hidden]) },
            ]}
            limit=${{ label: 'usable', points: s.server.map((p) => [p.t, p.usable]) }}
            outages=${outages('server')} />`
        : null}
      ${view.pooler.configured
        ? html`<${Chart} title="Pooler: clients waiting" from=${from} to=${to}
              lines=${[{ label: 'waiting', cls: 'series-warn', points: s.pooler.map((p) => [p.t, p.waiting]) }]}
              outages=${outages('pooler')} />
            <${Chart} title="Pooler: longest wait and time waited per second" from=${from} to=${to} format=${millis}
              lines=${[
                { label: 'longest wait', cls: 'series-warn', points: s.pooler.map((p) => [p.t, p.maxWaitMs]) },
                { label: 'waited per second', cls: 'series-3', points: s.pooler.map((p) => [p.t, p.waitMsPerSecond]) },
              ]}
              outages=${outages('pooler')} />
            <${Chart} title="Transactions and queries per second" from=${from} to=${to} format=${num}
              lines=${[
                { label: 'transactions/s', cls: 'series-1', points: s.pooler.map((p) => [p.t, p.transactionsPerSecond]) },
                { label: 'queries/s', cls: 'series-2', points: s.pooler.map((p) => [p.t, p.queriesPerSecond]) },
              ]}
              outages=${outages('pooler')} />`
        : null}
      ${view.app.configured
        ? html`<${Chart} title="App pool: in use and waiting" from=${from} to=${to}
            lines=${[
              { label: 'in use', cls: 'series-1', points: s.app.map((p) => [p.t, p.inUse]) },
              { label: 'waiting', cls: 'series-warn', points: s.app.map((p) => [p.t, p.waiting]) },
            ]}
            limit=${{ label: 'max', points: s.app.filter((p) => p.max !== null).map((p) => [p.t, p.max as number]) }}
            outages=${outages('app')} />`
        : null}
    </div>

    <section class="panel" aria-labelledby="pools-waits"><h2 id="pools-waits">Who waits for a connection</h2>
      <${WaitsSection} waits=${waits} saturated=${s.saturated} from=${from} to=${to} />
    </section>
    <section class="panel" aria-labelledby="pools-server"><h2 id="pools-server">PostgreSQL</h2>
      <${ServerSection} panel=${view.server} showQueries=${queries} onQueries=${setQueries} onPick=${setPick} />
    </section>
    <section class="panel" aria-labelledby="pools-pooler"><h2 id="pools-pooler">Pooler</h2>
      <${PoolerSection} panel=${view.pooler} />
    </section>
    <section class="panel" aria-labelledby="pools-app"><h2 id="pools-app">App pool</h2>
      <${AppSection} panel=${view.app} />
    </section>
    ${view.server.configured
      ? html`<section class="panel" aria-labelledby="pools-actions"><h2 id="pools-actions">Actions taken on ${view.environment}</h2>
          <${AuditLog} environment=${view.environment} limit=${10} refresh=${acted} />
        </section>`
      : null}
    ${pick
      ? html`<${SignalDialog} environment=${view.environment} pick=${pick} onClose=${() => setPick(null)}
          onAnswered=${() => {
            setActed((n) => n + 1);
            void load();
          }} />`
      : null}
  </div>`;
}
