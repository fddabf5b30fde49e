// One trace: its header, the waterfall and the selected span's detail.
// The trace arrives as columns and is laid out once; selection and search
// only mark rows.
import { html } from 'htm/preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { call, CommandError } from '../../backend';
import type { TraceColumns } from '../../bindings/TraceColumns';
import { micros, stamp } from '../../format';
import { layout, nameMatches, type Layout } from './layout';
import { SpanPanel, storedSpans, type SpanSource } from './span-panel';
import { Waterfall } from './waterfall';

export interface TraceSource {
  columns: () => Promise<TraceColumns>;
  spans: SpanSource;
  /** Span ids (16 hex digits each, concatenated) mentioning a text. */
  search: (query: string) => Promise<string>;
  /** Said above the trace: where it comes from when not the store. */
  label?: string;
}

export function storedTrace(traceId: string, environment: string): TraceSource {
  return {
    columns: () => call('get_trace_columns', { traceId, environment }),
    spans: storedSpans(traceId, environment),
    search: (query) => call('search_trace', { traceId, query, environment }).then((r) => r.spanIds),
  };
}

/** Rows by span id, built on first use (a search answer names spans by id). */
function rowsById(l: Layout): Map<string, number> {
  const map = new Map<string, number>();
  for (let i = 0; i < l.n; i++) {
    const id = l.cols.spanIds.slice(i * 16, i * 16 + 16);
    if (!map.has(id)) map.set(id, i);
  }
  return map;
}

export function TracePage({
  source,
  traceId,
  theme,
  spanId,
  onSpan,
  onBack,
  onOpenTrace,
}: {
  source: TraceSource;
  traceId: string;
  theme: 'dark' | 'light';
  spanId: string;
  onSpan: (spanId: string) => void;
  onBack: () => void;
  onOpenTrace: (traceId: string) => void;
}) {
  const [cols, setCols] = useState<TraceColumns | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [query, setQuery] = useState('');
  const [remoteMatches, setRemoteMatches] = useState<number[]>([]);

  useEffect(() => {
    let live = true;
    setCols(null);
    setError(null);
    performance.mark('readyroom:trace-open');
    source
      .columns()
      .then((c) => live && setCols(c))
      .catch((e) => live && setError(e instanceof CommandError ? e.message : String(e)));
    return () => {
      live = false;
    };
  }, [source]);

  const l = useMemo(() => (cols ? layout(cols) : null), [cols]);
  const byId = useMemo(() => (l ? rowsById(l) : null), [l]);
  const selected = spanId && byId ? (byId.get(spanId) ?? -1) : -1;

  // Names and services match at once; attributes, events and resources
  // are searched by the backend, a moment after typing stops.
  const localMatches = useMemo(() => (l && query.trim() ? nameMatches(l, query) : []), [l, query]);
  useEffect(() => {
    setRemoteMatches([]);
    if (!byId || !query.trim()) return;
    let live = true;
    const timer = setTimeout(() => {
      source
        .search(query)
        .then((ids) => {
          if (!live) return;
          const rows: number[] = [];
          for (let i = 0; i + 16 <= ids.length; i += 16) {
            const row = byId.get(ids.slice(i, i + 16));
            if (row !== undefined) rows.push(row);
          }
          setRemoteMatches(rows);
        })
        .catch(() => live && setRemoteMatches([]));
    }, 200);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [byId, query, source]);
  const matches = useMemo(() => {
    if (remoteMatches.length === 0) return localMatches;
    return Array.from(new Set([...localMatches, ...remoteMatches])).sort((a, b) => a - b);
  }, [localMatches, remoteMatches]);

  const back = html`<a href="#" class="back" onClick=${(e: Event) => (e.preventDefault(), onBack())}>← Traces</a>`;
  if (error) {
    return html`<section class="trace-page">${back}<div class="panel error" role="alert"><h2>This trace cannot be shown</h2><p>${error}</p></div></section>`;
  }
  if (!l || !cols) {
    return html`<section class="trace-page" aria-busy="true">${back}<p class="muted">Loading trace <code>${traceId}</code>…</p></section>`;
  }
  return html`
    <section class="trace-page">
      <header class="trace-head">
        ${back}
        <h2>
          <span class="muted">${cols.rootService}</span> ${cols.rootName}
        </h2>
        <span class="facts-inline">
          <span>${micros(cols.totalUs)}</span>
          <span>${l.n.toLocaleString()} spans</span>
          <span>${cols.services.length} service${cols.services.length === 1 ? '' : 's'}</span>
          <span class=${cols.errorSpans ? 'error-text' : ''}>${cols.errorSpans} error${cols.errorSpans === 1 ? '' : 's'}</span>
          <span class="muted">${stamp(cols.start)}</span>
          <code class="muted">${cols.traceId}</code>
        </span>
        ${source.label && html`<span class="badge readonly">${source.label}</span>`}
      </header>
      ${cols.issues.length > 0 &&
      html`<details class="panel warning trace-issues">
        <summary>${cols.issues.length} problem${cols.issues.length === 1 ? '' : 's'} in how this trace arrived</summary>
        <ul>${cols.issues.slice(0, 50).map((i) => html`<li>${i}</li>`)}</ul>
      </details>`}
      <div class="trace-body">
        <${Waterfall}
          layout=${l}
          theme=${theme}
          selected=${selected}
          onSelect=${(row: number) => onSpan(l.cols.spanIds.slice(row * 16, row * 16 + 16))}
          matches=${matches}
          searchQuery=${query}
          onSearch=${setQuery}
        />
        <${SpanPanel}
          layout=${l}
          row=${selected}
          source=${source.spans}
          onLink=${(linkTrace: string, linkSpan: string) => {
            if (linkTrace === traceId) onSpan(linkSpan);
            else onOpenTrace(linkTrace);
          }}
        />
      </div>
    </section>
  `;
}
