// Each source's freshness, e.g. "health updated 4 s ago", "postgres
// unreachable since 10:42". Refreshed on every run and every few seconds.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { call, onEvent } from '../backend';
import type { SourceStatus } from '../bindings/SourceStatus';
import { ago, clock } from '../format';

export function StatusBar({ environment, transport }: { environment: string; transport: string }) {
  const [sources, setSources] = useState<SourceStatus[]>([]);
  const [, setTick] = useState(0);

  useEffect(() => {
    if (!environment) return;
    const load = () =>
      call('get_source_status', { environment })
        .then((v) => setSources(v.sources))
        .catch(() => setSources([]));
    void load();
    const stop = onEvent((e) => {
      if (e.type === 'scorecardFinished' && e.environment === environment) void load();
    });
    const timer = setInterval(() => setTick((t) => t + 1), 5000);
    return () => {
      stop();
      clearInterval(timer);
    };
  }, [environment]);

  return html`
    <footer class="statusbar" aria-label="Source freshness">
      ${sources.length === 0
        ? html`<span class="muted">No source checked yet in this session: run the scorecard.</span>`
        : sources.map(
            (s) => html`
              <span class=${`source ${s.state}`} title=${s.detail ?? s.target}>
                <b>${s.source}</b>
                ${s.state === 'ok' ? ` updated ${ago(s.checkedAt)}` : ` unreachable since ${clock(s.since)}`}
              </span>
            `,
          )}
      <span class="spacer"></span>
      <span class="muted">${transport === 'tauri' ? 'desktop' : 'browser'}</span>
    </footer>
  `;
}
