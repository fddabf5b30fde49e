// The Traces area: the trace list and, with a trace chosen, its
// waterfall. Everything on screen is in the URL (`state.ts`).
import { html } from 'htm/preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { setTitle } from '../backend';
import { TraceList } from './traces/list';
import { TraceOverview } from './traces/overview';
import { pushState, readState, replaceState, type TracesState } from './traces/state';
import { OpenFile, openedNames } from './traces/open-file';
import { traceSource, TracePage } from './traces/trace-page';

export function TracesView({ environment, theme }: { environment: string; theme: 'dark' | 'light' }) {
  const [state, setState] = useState<TracesState>(readState());

  useEffect(() => {
    const onHash = () => setState(readState());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  useEffect(() => {
    setTitle(state.trace ? `Readyroom — trace ${state.trace.slice(0, 8)}` : `Readyroom — ${environment} traces`);
  }, [state.trace, environment]);

  // Filters and the selected span replace the URL; opening a trace pushes,
  // so Back returns to the list as it was.
  const change = (next: TracesState) => {
    replaceState(next);
    setState(next);
  };
  const open = (traceId: string) => {
    const next = { ...state, trace: traceId, span: '', compare: '', file: '' };
    pushState(next);
    setState(next);
  };
  const source = useMemo(
    () =>
      state.trace
        ? traceSource(state.trace, environment, state.file ? { handle: state.file, name: openedNames.get(state.file) ?? 'a file' } : undefined)
        : null,
    [state.trace, state.file, environment],
  );

  if (source) {
    return html`<${TracePage}
      source=${source}
      environment=${environment}
      traceId=${state.trace}
      theme=${theme}
      spanId=${state.span}
      compareId=${state.compare}
      onSpan=${(span: string) => change({ ...state, span })}
      onCompare=${(other: string) => {
        const next = { ...state, compare: other };
        pushState(next);
        setState(next);
      }}
      onBack=${() => {
        const next = { ...state, trace: '', span: '', compare: '', file: '' };
        pushState(next);
        setState(next);
      }}
      onOpenTrace=${state.file ? (traceId: string) => change({ ...state, trace: traceId, span: '' }) : open}
    />`;
  }
  return html`
    <section class="traces-area">
      <header class="area-head">
        <h2>Traces</h2>
        <nav class="tabs" role="tablist" aria-label="Traces views">
          ${(
            [
              ['list', 'List'],
              ['overview', 'Services and routes'],
            ] as const
          ).map(
            ([id, label]) => html`<button role="tab" aria-selected=${state.tab === id} class=${state.tab === id ? 'active' : ''} onClick=${() => change({ ...state, tab: id })}>
              ${label}
            </button>`,
          )}
        </nav>
        <span class="spacer"></span>
        <${OpenFile}
          onOpen=${(file: string, traceId: string) => {
            const next = { ...state, trace: traceId, span: '', compare: '', file };
            pushState(next);
            setState(next);
          }}
        />
      </header>
      ${state.tab === 'overview'
        ? html`<${TraceOverview}
            environment=${environment}
            state=${state}
            onChange=${change}
            onShow=${(patch: Partial<TracesState>) => {
              const next = { ...state, ...patch, minMs: '', maxMs: '', attr: '', tab: 'list' as const };
              pushState(next);
              setState(next);
            }}
          />`
        : html`<${TraceList} environment=${environment} state=${state} onChange=${change} onOpen=${open} />`}
    </section>
  `;
}
