// Two traces of one operation side by side: spans matched by their path
// and name, each duration difference coloured by how much it moved, and
// the spans only one trace has marked as missing or extra. The other
// trace is picked from recent traces of the same entry.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { call, CommandError } from '../../backend';
import type { TraceComparisonView } from '../../bindings/TraceComparisonView';
import type { TraceListRow } from '../../bindings/TraceListRow';
import { ago, millis } from '../../format';

/** How strongly a change is coloured: its share of the slower side. */
function weight(a: number, b: number): number {
  const base = Math.max(a, b, 0.001);
  return Math.min(1, Math.abs(b - a) / base);
}

export function ComparePicker({
  environment,
  traceId,
  service,
  route,
  onPick,
}: {
  environment: string;
  traceId: string;
  service: string;
  route: string | null;
  onPick: (otherId: string) => void;
}) {
  const [rows, setRows] = useState<TraceListRow[] | null>(null);
  const [typed, setTyped] = useState('');
  useEffect(() => {
    call('list_traces', { environment, service, route: route ?? undefined, sinceMinutes: 1440, limit: 20 })
      .then((v) => setRows(v.traces.filter((t) => t.traceId !== traceId)))
      .catch(() => setRows([]));
  }, [environment, traceId, service, route]);
  return html`<section class="panel compare-picker" data-testid="compare-picker">
    <h2>Compare with another trace</h2>
    <p class="muted">Recent traces of <b>${service}</b> ${route ?? ''} in the last 24 h:</p>
    ${rows === null && html`<p class="muted">Loading…</p>`}
    ${rows?.length === 0 && html`<p class="muted">No other trace of this entry in the last 24 h. Paste a trace id below.</p>`}
    ${rows && rows.length > 0 &&
    html`<ul class="candidates">
      ${rows.map(
        (t) => html`<li>
          <button class="ghost" data-candidate=${t.traceId} onClick=${() => onPick(t.traceId)}>
            ${millis(t.durationMs)} · ${ago(t.start)}${t.errorSpans ? html` · <span class="error-text">${t.errorSpans} errors</span>` : ''} · <code>${t.traceId.slice(0, 12)}…</code>
          </button>
        </li>`,
      )}
    </ul>`}
    <form class="inline" onSubmit=${(e: Event) => (e.preventDefault(), typed.trim() && onPick(typed.trim()))}>
      <input aria-label="Trace id to compare with" placeholder="trace id (32 hex digits)" value=${typed} onInput=${(e: Event) => setTyped((e.target as HTMLInputElement).value)} />
      <button type="submit" disabled=${!typed.trim()}>Compare</button>
    </form>
  </section>`;
}

export function Comparison({ environment, a, b, onClear }: { environment: string; a: string; b: string; onClear: () => void }) {
  const [view, setView] = useState<TraceComparisonView | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    setView(null);
    setError(null);
    call('compare_traces', { a, b, environment })
      .then((v) => live && setView(v))
      .catch((e) => live && setError(e instanceof CommandError ? e.message : String(e)));
    return () => {
      live = false;
    };
  }, [environment, a, b]);
  if (error) return html`<div class="panel error" role="alert"><h2>These traces cannot be compared</h2><p>${error}</p><button onClick=${onClear}>Pick another</button></div>`;
  if (!view) return html`<p class="muted">Comparing…</p>`;
  const delta = view.b.durationMs - view.a.durationMs;
  return html`<section class="panel comparison" data-testid="comparison">
    <h2>
      <span>A ${millis(view.a.durationMs)} → B ${millis(view.b.durationMs)}
        <span class=${delta > 0 ? 'down' : delta < 0 ? 'up' : ''}> (${delta > 0 ? '+' : ''}${millis(delta)})</span></span>
      <button class="ghost" onClick=${onClear}>Compare with another</button>
    </h2>
    <p class="muted" data-testid="comparison-counts">
      ${view.matched} matched · <span class="missing">${view.missing} missing in B</span> · <span class="extra">${view.extra} extra in B</span>
      · A <code>${view.a.traceId.slice(0, 12)}…</code> B <code>${view.b.traceId.slice(0, 12)}…</code>
    </p>
    ${view.note && html`<p class="warning">${view.note}</p>`}
    <table class="compare">
      <thead><tr><th>Span</th><th>Service</th><th class="num">A</th><th class="num">B</th><th class="num">B − A</th></tr></thead>
      <tbody>
        ${view.rows.slice(0, 5000).map((r) => {
          const w = r.aMs !== null && r.bMs !== null ? weight(r.aMs, r.bMs) : 0;
          const cls = r.change !== 'matched' ? r.change : r.deltaMs === null || Math.abs(r.deltaMs) < 0.05 ? '' : r.deltaMs > 0 ? 'slower' : 'faster';
          return html`<tr class=${cls} data-change=${r.change} data-weight=${w >= 0.5 ? 'strong' : w >= 0.15 ? 'some' : 'slight'}>
            <td class="span-name" style=${{ paddingLeft: `${8 + Math.min(r.depth, 30) * 14}px` }}>
              ${r.change === 'missing' ? '− ' : r.change === 'extra' ? '+ ' : ''}${r.name}
            </td>
            <td class="muted">${r.service}</td>
            <td class="num">${r.aMs === null ? '—' : millis(r.aMs)}</td>
            <td class="num">${r.bMs === null ? '—' : millis(r.bMs)}</td>
            <td class="num delta">${r.deltaMs === null ? (r.change === 'missing' ? 'missing in B' : 'extra in B') : `${r.deltaMs > 0 ? '+' : ''}${millis(r.deltaMs)}`}</td>
          </tr>`;
        })}
      </tbody>
    </table>
    ${view.rows.length > 5000 && html`<p class="muted">The first 5,000 of ${view.rows.length.toLocaleString()} rows are shown.</p>`}
  </section>`;
}
