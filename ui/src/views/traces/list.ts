// The trace list: filters (kept in the URL), newest or slowest first, and
// new traces arriving live without moving the rows under the pointer.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { call, CommandError, onEvent } from '../../backend';
import type { TraceListRequest } from '../../bindings/TraceListRequest';
import type { TraceListView } from '../../bindings/TraceListView';
import { ago, clock, millis, stamp } from '../../format';
import { NoTraces } from './empty';
import type { TracesState } from './state';

/** A time as a `datetime-local` input holds it: local, to the minute. */
function localInput(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export const WINDOWS: [number, string][] = [
  [15, 'last 15 min'],
  [60, 'last hour'],
  [360, 'last 6 h'],
  [1440, 'last 24 h'],
  [10080, 'last 7 days'],
];

/** The explicit window, when both ends are set and read as times. */
function range(s: TracesState): { from?: string; to?: string } {
  const from = new Date(s.from);
  const to = new Date(s.to);
  if (!s.from || !s.to || Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) return {};
  return { from: from.toISOString(), to: to.toISOString() };
}

function request(environment: string, s: TracesState): TraceListRequest {
  const number = (text: string) => (text.trim() && Number.isFinite(Number(text)) ? Number(text) : undefined);
  return {
    environment,
    service: s.service.trim() || undefined,
    route: s.route.trim() || undefined,
    status: s.status || undefined,
    minDurationMs: number(s.minMs),
    maxDurationMs: number(s.maxMs),
    attribute: s.attr.trim() || undefined,
    sinceMinutes: s.since,
    ...range(s),
    sort: s.sort,
    limit: 200,
  };
}

export function TraceList({
  environment,
  state,
  onChange,
  onOpen,
}: {
  environment: string;
  state: TracesState;
  onChange: (next: TracesState) => void;
  onOpen: (traceId: string) => void;
}) {
  const [view, setView] = useState<TraceListView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [pending, setPending] = useState(0);
  const hovering = useRef(false);
  const latest = useRef(0);

  // Text filters apply a moment after typing stops; the rest at once.
  const key = JSON.stringify(request(environment, state));
  const typedKey = [state.service, state.route, state.minMs, state.maxMs, state.attr, state.from, state.to].join('\u0000');
  const lastTyped = useRef(typedKey);
  const load = (replace: boolean) => {
    const ticket = ++latest.current;
    setLoading(true);
    call('list_traces', JSON.parse(key) as TraceListRequest)
      .then((v) => {
        if (ticket !== latest.current) return;
        setView(v);
        setError(null);
        if (replace) setPending(0);
      })
      .catch((e) => ticket === latest.current && setError(e instanceof CommandError ? e.message : String(e)))
      .finally(() => ticket === latest.current && setLoading(false));
  };
  useEffect(() => {
    const typed = typedKey !== lastTyped.current;
    lastTyped.current = typedKey;
    if (!typed) {
      load(true);
      return;
    }
    const timer = setTimeout(() => load(true), 250);
    return () => clearTimeout(timer);
  }, [key]);

  // Spans arriving for this environment: refresh, unless the pointer is on
  // the list (then say how many arrived and let the operator show them).
  const arrived = useRef(0);
  const refresh = () => {
    arrived.current = 0;
    load(true);
  };
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stop = onEvent((e) => {
      if (e.type !== 'spansReceived' || (e.environment !== environment && e.environment !== null)) return;
      arrived.current += e.spans;
      clearTimeout(timer);
      // Checked again when the refresh is due: the pointer may have come.
      timer = setTimeout(() => (hovering.current ? setPending(arrived.current) : refresh()), 500);
    });
    return () => {
      stop();
      clearTimeout(timer);
    };
  }, [key, environment]);

  const set = (patch: Partial<TracesState>) => onChange({ ...state, ...patch });
  const custom = Boolean(state.from || state.to);
  const longest = Math.max(1, ...(view?.traces.map((t) => t.durationMs) ?? [1]));
  const filtered = Boolean(state.service || state.route || state.status || state.minMs || state.maxMs || state.attr);

  return html`
    <section class="trace-list" aria-busy=${loading}>
      <form class="filters panel" role="search" aria-label="Trace filters" onSubmit=${(e: Event) => e.preventDefault()}>
        <label>Service<input name="service" value=${state.service} placeholder="any" onInput=${(e: Event) => set({ service: (e.target as HTMLInputElement).value })} /></label>
        <label>Route or operation<input name="route" value=${state.route} placeholder="any" onInput=${(e: Event) => set({ route: (e.target as HTMLInputElement).value })} /></label>
        <label>Status
          <select name="status" value=${state.status} onChange=${(e: Event) => set({ status: (e.target as HTMLSelectElement).value as TracesState['status'] })}>
            <option value="">any</option><option value="error">with errors</option><option value="ok">without errors</option>
          </select>
        </label>
        <label>Duration (ms)
          <span class="range">
            <input name="min" inputmode="decimal" aria-label="At least (ms)" placeholder="min" value=${state.minMs} onInput=${(e: Event) => set({ minMs: (e.target as HTMLInputElement).value })} />
            <input name="max" inputmode="decimal" aria-label="At most (ms)" placeholder="max" value=${state.maxMs} onInput=${(e: Event) => set({ maxMs: (e.target as HTMLInputElement).value })} />
          </span>
        </label>
        <label>Attribute<input name="attr" value=${state.attr} placeholder="key=value" onInput=${(e: Event) => set({ attr: (e.target as HTMLInputElement).value })} /></label>
        <label>Time
          <select
            name="since"
            value=${custom ? 'range' : String(state.since)}
            onChange=${(e: Event) => {
              const value = (e.target as HTMLSelectElement).value;
              // The minute now is included: `to` is the next one.
              if (value === 'range') set({ from: localInput(Date.now() - state.since * 60_000), to: localInput(Date.now() + 60_000) });
              else set({ since: Number(value), from: '', to: '' });
            }}
          >
            ${WINDOWS.map(([m, label]) => html`<option value=${String(m)}>${label}</option>`)}
            ${!WINDOWS.some(([m]) => m === state.since) && html`<option value=${String(state.since)}>last ${state.since} min</option>`}
            <option value="range">from … to …</option>
          </select>
        </label>
        ${custom &&
        html`<label>From<input type="datetime-local" name="from" value=${state.from} onInput=${(e: Event) => set({ from: (e.target as HTMLInputElement).value })} /></label>
          <label>To<input type="datetime-local" name="to" value=${state.to} onInput=${(e: Event) => set({ to: (e.target as HTMLInputElement).value })} /></label>`}
        <label>Sort
          <select name="sort" value=${state.sort} onChange=${(e: Event) => set({ sort: (e.target as HTMLSelectElement).value as TracesState['sort'] })}>
            <option value="start">newest first</option><option value="duration">slowest first</option>
          </select>
        </label>
        ${filtered && html`<button type="button" class="ghost" onClick=${() => set({ service: '', route: '', status: '', minMs: '', maxMs: '', attr: '' })}>Clear filters</button>`}
      </form>
      ${error && html`<div class="panel error" role="alert"><h2>The traces cannot be listed</h2><p>${error}</p></div>`}
      ${view &&
      html`<p class="muted list-meta">
        <span data-testid="trace-count">${view.traces.length} trace${view.traces.length === 1 ? '' : 's'}</span> from ${view.source}
        ${loading && ' · updating…'}
        ${pending > 0 && html` · <button class="pill" onClick=${refresh}>${pending} new span${pending === 1 ? '' : 's'} arrived — show</button>`}
      </p>`}
      ${view?.remoteDown &&
      html`<div class="panel warning" role="alert" data-testid="remote-down">
        <b>${view.remoteDown.source} has not answered since ${clock(view.remoteDown.since)}</b> (${view.remoteDown.error}).
        Showing what the local span store holds; it retries with every refresh.
      </div>`}
      ${view?.note && html`<p class="panel warning" role="note">${view.note}</p>`}
      ${view && view.traces.length === 0 && !error && html`<${NoTraces} view=${view} filtered=${filtered} />`}
      ${view && view.traces.length > 0 &&
      html`<table
        class="traces"
        onMouseEnter=${() => (hovering.current = true)}
        onMouseLeave=${() => {
          hovering.current = false;
        }}
      >
        <thead>
          <tr><th>Started</th><th>Service</th><th>Entry</th><th class="num">Duration</th><th class="num">Spans</th><th class="num">Errors</th></tr>
        </thead>
        <tbody>
          ${view.traces.map(
            (t) => html`<tr class=${t.errorSpans ? 'failed' : ''} data-trace=${t.traceId}>
              <td title=${stamp(t.start)}>${ago(t.start)}</td>
              <td>${t.rootService ?? '?'}</td>
              <td>
                <a href=${`#/traces?trace=${t.traceId}`} onClick=${(e: MouseEvent) => {
                  if (e.ctrlKey || e.metaKey || e.shiftKey) return;
                  e.preventDefault();
                  onOpen(t.traceId);
                }}>${t.route ?? t.rootName ?? '(no entry span)'}</a>
              </td>
              <td class="num duration">
                <span class="bar" style=${{ width: `${Math.max(2, (t.durationMs / longest) * 100)}%` }}></span>
                <span>${millis(t.durationMs)}</span>
              </td>
              <td class="num">${t.spans ?? '—'}</td>
              <td class=${`num ${t.errorSpans ? 'error-text' : ''}`}>${t.errorSpans ?? '—'}</td>
            </tr>`,
          )}
        </tbody>
      </table>`}
    </section>
  `;
}
