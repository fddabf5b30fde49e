// Services and routes over a window: rate, error ratio and p50/p95/p99,
// drawn on one shared scale per column so the slow and the failing stand
// out, each row a click away from its slowest and its failing traces.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { call, CommandError } from '../../backend';
import type { RouteStats } from '../../bindings/RouteStats';
import type { StatsGrouping } from '../../bindings/StatsGrouping';
import type { TraceStatsView } from '../../bindings/TraceStatsView';
import { millis } from '../../format';
import { WINDOWS } from './list';
import type { TracesState } from './state';

function percent(ratio: number): string {
  const p = ratio * 100;
  return `${p < 1 && p > 0 ? p.toFixed(2) : p.toFixed(1)} %`;
}

/** Requests per second, or per minute when fewer than one every ten seconds. */
function rate(perSecond: number | null): string {
  if (perSecond === null) return '—';
  if (perSecond >= 10) return `${perSecond.toFixed(0)}/s`;
  if (perSecond >= 0.1) return `${perSecond.toFixed(2)}/s`;
  return `${(perSecond * 60).toFixed(2)}/min`;
}

/** p50, p95 and p99 as three bars on the column's scale. */
function Latency({ r, max }: { r: RouteStats; max: number }) {
  const x = (ms: number) => Math.max(1, (ms / max) * 160);
  return html`<svg class="latency" width="170" height="18" role="img" aria-label=${`p50 ${millis(r.p50Ms)}, p95 ${millis(r.p95Ms)}, p99 ${millis(r.p99Ms)}`}>
    <rect class="p99" x="0" y="3" width=${x(r.p99Ms)} height="12" rx="2"></rect>
    <rect class="p95" x="0" y="3" width=${x(r.p95Ms)} height="12" rx="2"></rect>
    <rect class="p50" x="0" y="3" width=${x(r.p50Ms)} height="12" rx="2"></rect>
  </svg>`;
}

function ErrorBar({ ratio }: { ratio: number }) {
  return html`<svg class="errors" width="70" height="10" aria-hidden="true">
    <rect class="track" x="0" y="2" width="70" height="6" rx="2"></rect>
    <rect class="fill" x="0" y="2" width=${Math.min(70, ratio > 0 ? Math.max(2, ratio * 70) : 0)} height="6" rx="2"></rect>
  </svg>`;
}

export function TraceOverview({
  environment,
  state,
  onChange,
  onShow,
}: {
  environment: string;
  state: TracesState;
  onChange: (next: TracesState) => void;
  /** Shows the list filtered to a route: slowest first, or failing only. */
  onShow: (patch: Partial<TracesState>) => void;
}) {
  const [by, setBy] = useState<StatsGrouping>('route');
  const [view, setView] = useState<TraceStatsView | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    setError(null);
    call('get_trace_stats', { environment, sinceMinutes: state.since, by })
      .then((v) => live && setView(v))
      .catch((e) => live && setError(e instanceof CommandError ? e.message : String(e)));
    return () => {
      live = false;
    };
  }, [environment, state.since, by]);

  const routes = view?.routes ?? [];
  const maxMs = Math.max(1, ...routes.map((r) => r.p99Ms));
  return html`
    <section class="trace-overview">
      <div class="filters panel">
        <label>Time
          <select name="since" value=${String(state.since)} onChange=${(e: Event) => onChange({ ...state, since: Number((e.target as HTMLSelectElement).value) })}>
            ${WINDOWS.map(([m, label]) => html`<option value=${String(m)}>${label}</option>`)}
          </select>
        </label>
        <label>Per
          <select name="by" value=${by} onChange=${(e: Event) => setBy((e.target as HTMLSelectElement).value as StatsGrouping)}>
            <option value="route">service and route</option><option value="service">service</option>
          </select>
        </label>
        <span class="legend muted"><i class="p50"></i> p50 <i class="p95"></i> p95 <i class="p99"></i> p99</span>
      </div>
      ${error && html`<div class="panel error" role="alert"><h2>The overview cannot be computed</h2><p>${error}</p></div>`}
      ${view && html`<p class="muted list-meta">From ${view.source}, the last ${view.windowMinutes} min.</p>`}
      ${view && routes.length === 0 &&
      html`<div class="panel empty" data-testid="no-stats"><h2>No requests in this window</h2>
        <p>${view.attributionHint ?? 'No entry (server) spans arrived from this environment in the window: widen it, or see the list for how to send traces.'}</p></div>`}
      ${routes.length > 0 &&
      html`<table class="overview" data-testid="route-stats">
        <thead><tr>
          <th>Service</th><th>${by === 'route' ? 'Route' : ''}</th><th class="num">Requests</th><th class="num">Rate</th>
          <th class="num">Errors</th><th></th><th class="num">p50</th><th class="num">p95</th><th class="num">p99</th><th>Latency</th><th></th>
        </tr></thead>
        <tbody>
          ${routes.map((r) => {
            const route = by === 'route' ? r.route : '';
            return html`<tr data-route=${`${r.service} ${r.route}`}>
              <td>${r.service}</td>
              <td>${route}</td>
              <td class="num">${r.requests.toLocaleString()}</td>
              <td class="num">${rate(r.requestsPerSecond)}</td>
              <td class=${`num ${r.errors ? 'error-text' : ''}`}>${percent(r.errorRatio)}</td>
              <td><${ErrorBar} ratio=${r.errorRatio} /></td>
              <td class="num">${millis(r.p50Ms)}</td>
              <td class="num">${millis(r.p95Ms)}</td>
              <td class="num">${millis(r.p99Ms)}</td>
              <td><${Latency} r=${r} max=${maxMs} /></td>
              <td class="actions">
                <button class="ghost" onClick=${() => onShow({ service: r.service, route, status: '', sort: 'duration' })}>Slowest</button>
                <button class="ghost" disabled=${r.errors === 0} onClick=${() => onShow({ service: r.service, route, status: 'error', sort: 'start' })}>Failing</button>
              </td>
            </tr>`;
          })}
        </tbody>
      </table>`}
    </section>
  `;
}
