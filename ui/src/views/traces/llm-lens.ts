// The LLM lens: each call to an LLM (or a configured upstream) as one row,
// its retries collapsed under it: every attempt's outcome, the waits
// between them (backoff, and what Retry-After asked), the final outcome,
// and the tokens per call and for the whole trace.
import { html } from 'htm/preact';
import type { AttemptOutcome } from '../../bindings/AttemptOutcome';
import type { UpstreamCallRow } from '../../bindings/UpstreamCallRow';
import { millis } from '../../format';

export function outcomeText(o: AttemptOutcome): string {
  switch (o.kind) {
    case 'ok':
      return 'ok';
    case 'rateLimited':
      return 'rate limited (429)';
    case 'serverError':
      return `server error (${o.status})`;
    case 'clientError':
      return `client error (${o.status})`;
    case 'timeout':
      return 'timed out';
    case 'failed':
      return `failed: ${o.reason}`;
  }
}

export function LlmLens({ calls, onSpan }: { calls: UpstreamCallRow[]; onSpan: (spanId: string) => void }) {
  if (calls.length === 0) {
    return html`<section class="panel llm-lens" data-testid="llm-lens">
      <h2>LLM calls</h2>
      <p class="muted">No call to an LLM (a span with <code>gen_ai.*</code> attributes) or to an upstream host named in
      <code>[environments.NAME.traces] upstream_hosts</code> in this trace.</p>
    </section>`;
  }
  const input = calls.reduce((n, c) => n + c.inputTokens, 0);
  const output = calls.reduce((n, c) => n + c.outputTokens, 0);
  const attempts = calls.reduce((n, c) => n + c.attempts.length, 0);
  const waited = calls.reduce((n, c) => n + c.attempts.reduce((w, a) => w + (a.waitBeforeMs ?? 0), 0), 0);
  const failed = calls.filter((c) => c.outcome.kind !== 'ok').length;
  return html`<section class="panel llm-lens" data-testid="llm-lens">
    <h2>LLM calls</h2>
    <p class="totals" data-testid="llm-totals">
      <b>${calls.length}</b> call${calls.length === 1 ? '' : 's'}, <b>${attempts}</b> attempt${attempts === 1 ? '' : 's'}${' '}
      (${attempts - calls.length} retr${attempts - calls.length === 1 ? 'y' : 'ies'}), ${millis(waited)} waiting between attempts ·${' '}
      tokens <b>${input.toLocaleString()}</b> in, <b>${output.toLocaleString()}</b> out
      ${failed > 0 && html` · <span class="error-text">${failed} call${failed === 1 ? '' : 's'} failed in the end</span>`}
    </p>
    ${calls.map(
      (c, i) => html`<details class="llm-call" open=${c.attempts.length > 1} data-call=${i}>
        <summary>
          <span class=${`badge ${c.outcome.kind === 'ok' ? 'pass' : 'fail'}`}>${c.outcome.kind === 'ok' ? 'ok' : 'failed'}</span>
          <b>${c.name}</b>
          <span class="muted">${[c.upstream, c.model].filter(Boolean).join(' · ')}</span>
          <span data-testid="attempts">${c.attempts.length} attempt${c.attempts.length === 1 ? '' : 's'}</span>
          <span>${millis(c.durationMs)}</span>
          <span class="muted">${c.inputTokens.toLocaleString()} in / ${c.outputTokens.toLocaleString()} out tokens</span>
        </summary>
        <ul class="attempts">
          ${c.attempts.map(
            (a, n) => {
              // What the previous answer asked for, beside the wait that followed it.
              const asked = n > 0 ? c.attempts[n - 1].retryAfterSeconds : null;
              return html`
              ${a.waitBeforeMs !== null &&
              html`<li class="wait muted">waited ${millis(a.waitBeforeMs)}${asked !== null ? ` (Retry-After asked ${asked} s)` : ''}</li>`}
              <li class=${`attempt ${a.outcome.kind === 'ok' ? '' : 'error-text'}`}>
                <a href="#" onClick=${(e: Event) => (e.preventDefault(), onSpan(a.spanId))}>attempt ${n + 1}</a>${': '}${outcomeText(a.outcome)} after ${millis(a.durationMs)}${n === c.attempts.length - 1 ? ' — final' : ''}
              </li>
            `;
            },
          )}
        </ul>
      </details>`,
    )}
  </section>`;
}
