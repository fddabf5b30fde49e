// Opening an OTLP/JSON trace file (from `traces show --format otlp-json`,
// Tempo or Jaeger, a colleague): read here, parsed by the backend into
// memory (never the store), shown read-only in the same view.
import { html } from 'htm/preact';
import { useRef, useState } from 'preact/hooks';
import { call, CommandError } from '../../backend';
import type { OpenedFile } from '../../bindings/OpenedFile';
import { millis } from '../../format';

/** Opened files' names by handle, for the trace page's label. */
export const openedNames = new Map<string, string>();

export function OpenFile({ onOpen }: { onOpen: (file: string, traceId: string) => void }) {
  const input = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [opened, setOpened] = useState<OpenedFile | null>(null);

  const read = async (file: File) => {
    setBusy(true);
    setError(null);
    setOpened(null);
    try {
      const result = await call('open_trace_file', { name: file.name, content: await file.text() });
      openedNames.set(result.file, result.name);
      if (result.traces.length === 1 && result.rejected === 0) onOpen(result.file, result.traces[0].traceId);
      else setOpened(result);
    } catch (e) {
      setError(e instanceof CommandError ? e.message : String(e));
    } finally {
      setBusy(false);
      if (input.current) input.current.value = '';
    }
  };

  return html`
    <span class="open-file">
      <input
        ref=${input}
        type="file"
        accept=".json,application/json"
        class="sr-only"
        aria-label="Trace file (OTLP/JSON)"
        data-testid="trace-file"
        onChange=${(e: Event) => {
          const file = (e.target as HTMLInputElement).files?.[0];
          if (file) void read(file);
        }}
      />
      <button onClick=${() => input.current?.click()} disabled=${busy} title="Open an OTLP/JSON trace file, read-only">
        ${busy ? 'Opening…' : 'Open a trace file…'}
      </button>
    </span>
    ${error && html`<div class="panel error opened" role="alert"><h2>The file cannot be opened</h2><p>${error}</p></div>`}
    ${opened &&
    html`<div class="panel opened" data-testid="opened-file">
      <h2>${opened.name}: ${opened.traces.length} trace${opened.traces.length === 1 ? '' : 's'} <button class="ghost" onClick=${() => setOpened(null)}>Close</button></h2>
      ${opened.rejected > 0 && html`<p class="warning">${opened.rejected} span(s) could not be read: ${opened.rejection}</p>`}
      <ul class="candidates">
        ${opened.traces.map(
          (t) => html`<li><button class="ghost" onClick=${() => onOpen(opened.file, t.traceId)}>
            <b>${t.rootService}</b> ${t.rootName} · ${millis(t.durationMs)} · ${t.spans.toLocaleString()} spans${t.errorSpans ? html` · <span class="error-text">${t.errorSpans} errors</span>` : ''}
          </button></li>`,
        )}
      </ul>
    </div>`}
  `;
}
