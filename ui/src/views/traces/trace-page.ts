// One trace: its header, the waterfall and the selected span's detail.
// The trace arrives as columns and is laid out once; selection and search
// only mark rows.
import { html } from 'htm/preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { call, CommandError } from '../../backend';
import type { TraceColumns } from '../../bindings/TraceColumns';
import { micros, stamp } from '../../format';
import { Comparison, ComparePicker } from './compare';
import { layout, nameMatches, spanId as spanIdOf, type Layout } from './layout';
import { LlmLens } from './llm-lens';
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

/** A trace from the store (or the environment's Tempo or Jaeger), or from an opened file. */
export function traceSource(traceId: string, environment: string, file?: { handle: string; name: string }): TraceSource {
  const handle = file?.handle;
  return {
    columns: () => call('get_trace_columns', { traceId, environment, file: handle }),
    spans: storedSpans(traceId, environment, handle),
    search: (query) => call('search_trace', { traceId, query, environment, file: handle }).then((r) => r.spanIds),
    label: file ? `read-only · opened from ${file.name}` : undefined,
  };
}

/** Rows by span id (a search answer names spans by id), built on first use. */
function rowsById(l: Layout): () => Map<string, number> {
  let map: Map<string, number> | null = null;
  return () => {
    if (!map) {
      map = new Map();
      for (let i = 0; i < l.n; i++) {
        const id = spanIdOf(l, i);
        if (!map.has(id)) map.set(id, i);
      }
    }
    return map;
  };
}

/** The row of one span id: a search of the ids' string, no index needed. */
function rowOf(l: Layout, id: string): number {
  if (id.length !== 16) return -1;
  for (let at = l.cols.spanIds.indexOf(id); at >= 0; at = l.cols.spanIds.indexOf(id, at + 1)) {
    if (at % 16 === 0) return at / 16;
  }
  return -1;
}

type Tab = 'waterfall' | 'llm' | 'compare';

export function TracePage({
  source,
  environment,
  traceId,
  theme,
  spanId,
  compareId,
  onSpan,
  onBack,
  onOpenTrace,
  onCompare,
}: {
  source: TraceSource;
  environment: string;
  traceId: string;
  theme: 'dark' | 'light';
  spanId: string;
  /** The trace compared with this one ('' when none). */
  compareId: string;
  onSpan: (spanId: string) => void;
  onBack: () => void;
  onOpenTrace: (traceId: string) => void;
  onCompare: (otherId: string) => void;
}) {
  const [tab, setTab] = useState<Tab>(compareId ? 'compare' : 'waterfall');
  // A link naming a trace to compare with opens the comparison.
  useEffect(() => {
    if (compareId) setTab('compare');
  }, [compareId]);
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
  const selected = useMemo(() => (l && spanId ? rowOf(l, spanId) : -1), [l, spanId]);

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
            const row = byId().get(ids.slice(i, i + 16));
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
      <nav class="tabs" role="tablist" aria-label="Trace views">
        ${(
          [
            ['waterfall', 'Waterfall'],
            ['llm', `LLM calls (${cols.upstreamCalls.length})`],
            ['compare', 'Compare'],
          ] as [Tab, string][]
        ).map(
          ([id, label]) => html`<button role="tab" aria-selected=${tab === id} class=${tab === id ? 'active' : ''} onClick=${() => setTab(id)}>
            ${label}
          </button>`,
        )}
      </nav>
      ${tab === 'llm' &&
      html`<${LlmLens}
        calls=${cols.upstreamCalls}
        onSpan=${(id: string) => {
          onSpan(id);
          setTab('waterfall');
        }}
      />`}
      ${tab === 'compare' &&
      (compareId
        ? html`<${Comparison} environment=${environment} a=${traceId} b=${compareId} onClear=${() => onCompare('')} />`
        : source.label
          ? html`<p class="panel muted">Traces opened from a file are not compared here: comparing reads both traces from the store or the environment's Tempo or Jaeger.</p>`
          : html`<${ComparePicker}
              environment=${environment}
              traceId=${traceId}
              service=${cols.rootService}
              route=${cols.rootRoute}
              onPick=${onCompare}
            />`)}
      ${tab === 'waterfall' &&
      html`<div class="trace-body">
        <${Waterfall}
          layout=${l}
          theme=${theme}
          selected=${selected}
          onSelect=${(row: number) => onSpan(spanIdOf(l, row))}
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
      </div>`}
    </section>
  `;
}
