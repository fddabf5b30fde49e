// The Traces area: the trace list and, with a trace chosen, its
// waterfall. Everything on screen is in the URL (`state.ts`).
import { html } from 'htm/preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { setTitle } from '../backend';
import { TraceList } from './traces/list';
import { pushState, readState, replaceState, type TracesState } from './traces/state';
import { storedTrace, TracePage } from './traces/trace-page';

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
    const next = { ...state, trace: traceId, span: '' };
    pushState(next);
    setState(next);
  };
  const source = useMemo(() => (state.trace ? storedTrace(state.trace, environment) : null), [state.trace, environment]);

  if (source) {
    return html`<${TracePage}
      source=${source}
      traceId=${state.trace}
      theme=${theme}
      spanId=${state.span}
      onSpan=${(span: string) => change({ ...state, span })}
      onBack=${() => {
        const next = { ...state, trace: '', span: '' };
        pushState(next);
        setState(next);
      }}
      onOpenTrace=${open}
    />`;
  }
  return html`
    <section class="traces-area">
      <header class="area-head">
        <h2>Traces</h2>
      </header>
      <${TraceList} environment=${environment} state=${state} onChange=${change} onOpen=${open} />
    </section>
  `;
}
