// The weekly review in the app (issue 15): the same review `readyroom
// report` writes, read as data (`get_weekly_report` without rendering):
// score at the start and now, the path to the next grade, routes, pools,
// throttled workspaces and actions. Every number's title says where it
// came from (the run, check, source and time, or the stored rows). Save
// writes the HTML and Markdown into the data directory; Print prints this
// panel alone (to PDF from the desktop app's print dialog).
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { call, CommandError } from '../../backend';
import type { Provenance } from '../../bindings/Provenance';
import type { SavedReport } from '../../bindings/SavedReport';
import type { StoredRows } from '../../bindings/StoredRows';
import type { WeeklyReport } from '../../bindings/WeeklyReport';
import { num, signed, stamp } from '../../format';

function from(p: Provenance): string {
  const parts = [`run #${p.run} at ${stamp(p.runAt)}`];
  if (p.check) parts.push(`check ${p.check}`);
  if (p.source) parts.push(`source ${p.source}`);
  if (p.measuredAt) parts.push(`measured ${stamp(p.measuredAt)}`);
  return parts.join(', ');
}

/** A number with its provenance on hover (and for screen readers). */
const Prov = ({ p, children }: { p: Provenance | StoredRows; children: unknown }) =>
  html`<span class="prov" title=${'what' in p ? p.what : from(p)} data-provenance=${'what' in p ? p.anchor : `p-${p.run}`}>${children}</span>`;

export function WeeklyReview({ environment, onClose }: { environment: string; onClose: () => void }) {
  const [days, setDays] = useState(7);
  const [report, setReport] = useState<WeeklyReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<SavedReport | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    setReport(null);
    setError(null);
    call('get_weekly_report', { environment, days, render: false })
      .then((v) => setReport(v.report))
      .catch((e) => setError(e instanceof CommandError ? e.message : String(e)));
  }, [environment, days]);

  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      setSaved(await call('save_weekly_report', { environment, days }));
    } catch (e) {
      setError(e instanceof CommandError ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  const r = report;
  const ng = r?.nextGrade;
  return html`<section class="panel review" aria-label="Weekly review" data-testid="weekly-review">
    <div class="review-head">
      <h2>Weekly review</h2>
      <label>Period
        <select aria-label="Review period" value=${String(days)} onChange=${(e: Event) => setDays(Number((e.target as HTMLSelectElement).value))}>
          <option value="7">last 7 days</option>
          <option value="14">last 14 days</option>
          <option value="30">last 30 days</option>
        </select>
      </label>
      <span class="spacer"></span>
      <button class="ghost" onClick=${() => void save()} disabled=${busy || !r}>Save HTML and Markdown</button>
      <button class="ghost" onClick=${() => window.print()} disabled=${!r}>Print…</button>
      <button class="ghost" onClick=${onClose} aria-label="Close the weekly review">Close</button>
    </div>
    ${saved ? html`<p class="ok-text" role="status" data-testid="review-saved">Saved <code>${saved.html}</code> and <code>${saved.markdown}</code>.</p>` : null}
    ${error ? html`<p class="error-text" role="alert">${error}</p>` : null}
    ${!r && !error ? html`<p class="muted">Reading the stored runs…</p>` : null}
    ${r &&
    html`
      <p class="muted">${stamp(r.from)} to ${stamp(r.to)} · ${r.runs} run(s). Hover a number for where it came from.</p>
      <table class="review-score" data-testid="review-score">
        <thead><tr><th></th><th>Start</th><th>Now</th><th>Change</th></tr></thead>
        <tbody>
          <tr data-row="score"><th>Score</th><td><${Prov} p=${r.start.provenance}>${num(r.start.score)}</${Prov}></td>
            <td><${Prov} p=${r.now.provenance}>${num(r.now.score)}</${Prov}></td><td>${signed(r.now.score - r.start.score)}</td></tr>
          <tr><th>Grade</th><td><${Prov} p=${r.start.provenance}>${r.start.grade}</${Prov}></td>
            <td><${Prov} p=${r.now.provenance}>${r.now.grade}</${Prov}></td><td></td></tr>
          <tr><th>Coverage %</th><td><${Prov} p=${r.start.provenance}>${num(r.start.coverage)}</${Prov}></td>
            <td><${Prov} p=${r.now.provenance}>${num(r.now.coverage)}</${Prov}></td><td>${signed(r.now.coverage - r.start.coverage)}</td></tr>
        </tbody>
      </table>
      <h3>What moved</h3>
      <ul class="review-moved">
        ${r.categories.map(
          (c) => html`<li>${c.name} <span class=${c.delta < 0 ? 'down' : c.delta > 0 ? 'up' : 'muted'}>${signed(c.delta)}</span>
            ${c.moved.slice(0, 3).map((m) => html` · <code>${m.id}</code> ${m.before ?? 'absent'} → ${m.after ?? 'absent'}
              (${m.provenanceAfter ? html`<${Prov} p=${m.provenanceAfter}>${signed(m.pointsDelta)}</${Prov}>` : signed(m.pointsDelta)})`)}
          </li>`,
        )}
      </ul>
      <h3>The path to the next grade</h3>
      ${ng?.next
        ? html`<p>${ng.current} → ${ng.next} at ${num(ng.needsScore ?? 0)}: ${ng.stepsNeeded ? `the first ${ng.stepsNeeded} step(s)` : 'more than the checks below'}.</p>`
        : html`<p>Grade A.</p>`}
      ${ng && ng.steps.length > 0
        ? html`<table class="review-steps" data-testid="review-steps">
            <thead><tr><th>#</th><th>Check</th><th>Now</th><th>Recoverable</th><th>Score after</th><th>What to do</th></tr></thead>
            <tbody>
              ${ng.steps.slice(0, 10).map(
                (s, i) => html`<tr data-step=${s.id} class=${ng.stepsNeeded && i < ng.stepsNeeded ? 'needed' : ''}>
                  <td>${i + 1}</td><td>${s.name} <code class="muted">${s.id}</code></td><td><span class=${`badge ${s.outcome}`}>${s.outcome}</span></td>
                  <td><${Prov} p=${s.provenance}>${signed(s.recoverable)}</${Prov}></td><td>${num(s.scoreAfter)}</td><td>${s.whatToDo}</td>
                </tr>`,
              )}
            </tbody>
          </table>`
        : null}
      <div class="review-lower">
        <section>
          <h3>Busiest routes</h3>
          ${r.routes.length === 0
            ? html`<p class="muted">No requests received in the period.</p>`
            : html`<table><thead><tr><th>Route</th><th>Requests</th><th>Errors %</th><th>p95 ms</th></tr></thead><tbody>
                ${r.routes.slice(0, 5).map(
                  (x) => html`<tr><td>${x.route}</td><td><${Prov} p=${x.provenance}>${x.requests}</${Prov}></td>
                    <td><${Prov} p=${x.provenance}>${num(x.errorPercent)}</${Prov}></td><td><${Prov} p=${x.provenance}>${num(x.p95Ms)}</${Prov}></td></tr>`,
                )}
              </tbody></table>`}
        </section>
        <section>
          <h3>Pools, quotas, actions</h3>
          <p>${r.pools.sampled
            ? html`Waited for a connection in <${Prov} p=${r.pools.provenance}>${r.pools.stretches}</${Prov}> stretch(es),
                <${Prov} p=${r.pools.provenance}>${num(r.pools.saturatedSeconds)}</${Prov}> s in all.`
            : html`<span class="muted">No pool samples in the period.</span>`}</p>
          <p>${r.throttled.length === 0
            ? html`<span class="muted">Nobody seen throttled.</span>`
            : html`Throttled most: ${r.throttled.slice(0, 3).map(
                (t, i) => html`${i ? ', ' : ''}${t.workspaceName} (<${Prov} p=${t.provenance}>${t.throttled}</${Prov}> 429s)`,
              )}.`}</p>
          <p>${r.actions.length === 0
            ? html`<span class="muted">No action against production.</span>`
            : html`${r.actions.length} action(s): ${r.actions.slice(0, 3).map(
                (a, i) => html`${i ? '; ' : ''}<${Prov} p=${a.provenance}>#${a.seq}</${Prov}> ${a.action} ${a.result}`,
              )}.`}</p>
        </section>
      </div>
    `}
  </section>`;
}
