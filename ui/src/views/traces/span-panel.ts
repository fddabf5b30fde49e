// The selected span in full: timing from the layout at once, then its
// attributes, events (an exception's stack trace as written), links and
// resource from the backend.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { call, CommandError } from '../../backend';
import type { KeyValue } from '../../bindings/KeyValue';
import type { SpanDetail } from '../../bindings/SpanDetail';
import { micros, millis } from '../../format';
import { type Layout, spanId } from './layout';

const KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];

export interface SpanSource {
  /** Fetches a span's detail (from the store, or from an opened file). */
  detail: (spanId: string) => Promise<SpanDetail>;
}

export function storedSpans(traceId: string, environment: string, file?: string): SpanSource {
  return { detail: (id) => call('get_span', { traceId, spanId: id, environment, file }) };
}

export function SpanPanel({ layout: l, row, source, onLink }: { layout: Layout; row: number; source: SpanSource; onLink: (traceId: string, spanId: string) => void }) {
  const [detail, setDetail] = useState<SpanDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const id = row >= 0 ? spanId(l, row) : '';

  useEffect(() => {
    setDetail(null);
    setError(null);
    if (!id) return;
    let live = true;
    // Holding an arrow key moves through many spans: fetch the one it stops on.
    const timer = setTimeout(() => {
      source
        .detail(id)
        .then((d) => live && setDetail(d))
        .catch((e) => live && setError(e instanceof CommandError ? e.message : String(e)));
    }, 120);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [id, source]);

  if (row < 0) {
    return html`<aside class="span-panel panel muted" aria-label="Span detail">Select a span (click, or the arrow keys) to see its attributes, events and resource.</aside>`;
  }
  const name = l.cols.names[l.name[row]];
  const service = l.cols.services[l.service[row]];
  return html`
    <aside class="span-panel panel" aria-label="Span detail" data-testid="span-panel">
      <h2><span class=${l.error[row] ? 'error-text' : ''}>${name}</span></h2>
      <dl class="facts">
        <dt>Service</dt><dd>${service}</dd>
        <dt>Kind</dt><dd>${KINDS[l.cols.kind[row]] ?? 'unspecified'}</dd>
        <dt>Duration</dt><dd>${micros(l.duration[row])}</dd>
        <dt>Starts at</dt><dd>+${micros(l.start[row])}</dd>
        <dt>Self time</dt><dd>${micros(l.cols.selfUs[row])}</dd>
        <dt>Critical path</dt><dd data-testid="span-critical">${l.critical[row] > 0 ? micros(l.critical[row]) : 'not on it'}</dd>
        ${l.cols.upstreamCall[row] >= 0 &&
        html`<dt>Upstream call</dt><dd>attempt ${l.cols.attempt[row] + 1} of ${l.cols.upstreamCalls[l.cols.upstreamCall[row]]?.attempts.length ?? '?'}</dd>`}
        <dt>Span id</dt><dd><code>${id}</code></dd>
        ${detail &&
        html`
          <dt>Status</dt><dd class=${detail.status === 'error' ? 'error-text' : ''}>${detail.status}${detail.statusMessage ? `: ${detail.statusMessage}` : ''}</dd>
          <dt>Start</dt><dd>${detail.start}</dd>
        `}
      </dl>
      ${error && html`<p class="error-text" role="alert">${error}</p>`}
      ${!detail && !error && html`<p class="muted">Loading attributes…</p>`}
      ${detail &&
      html`
        <${Pairs} title="Attributes" pairs=${detail.attributes} />
        ${detail.events.length > 0 &&
        html`<section>
          <h3>Events (${detail.events.length})</h3>
          ${detail.events.map(
            (ev) => html`<div class=${`event ${ev.name === 'exception' ? 'exception' : ''}`}>
              <div><b>${ev.name}</b> <span class="muted">at +${millis(ev.offsetMs)}</span></div>
              ${ev.attributes.map((kv) =>
                kv.key === 'exception.stacktrace'
                  ? html`<pre class="stack" aria-label="Stack trace">${kv.value}</pre>`
                  : html`<div class="kv"><span class="muted">${kv.key}</span> <span>${kv.value}</span></div>`,
              )}
            </div>`,
          )}
        </section>`}
        ${detail.links.length > 0 &&
        html`<section>
          <h3>Links (${detail.links.length})</h3>
          <ul class="links">
            ${detail.links.map(
              (link) => html`<li>
                <a href="#" onClick=${(e: Event) => (e.preventDefault(), onLink(link.traceId, link.spanId))}>
                  ${link.traceId === detail.traceId ? 'span' : 'trace'} <code>${link.traceId === detail.traceId ? link.spanId : link.traceId}</code>
                </a>
                ${link.attributes.map((kv) => html` <span class="muted">${kv.key}=</span>${kv.value}`)}
              </li>`,
            )}
          </ul>
        </section>`}
        <${Pairs} title="Resource" pairs=${detail.resource} />
      `}
    </aside>
  `;
}

function Pairs({ title, pairs }: { title: string; pairs: KeyValue[] }) {
  if (pairs.length === 0) return html`<section><h3>${title}</h3><p class="muted">none</p></section>`;
  return html`<section>
    <h3>${title} (${pairs.length})</h3>
    <table class="pairs">
      <tbody>
        ${pairs.map((kv) => html`<tr><th scope="row">${kv.key}</th><td>${kv.value}</td></tr>`)}
      </tbody>
    </table>
  </section>`;
}
