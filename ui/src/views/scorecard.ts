// The scorecard: score, grade and coverage; categories and every check with
// its evidence; run now with progress; the trend chart; what changed.
import { html } from 'htm/preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { call, CommandError, onEvent, setTitle } from '../backend';
import type { CheckResult } from '../bindings/CheckResult';
import type { ScorecardDiff } from '../bindings/ScorecardDiff';
import type { ScorecardView as View } from '../bindings/ScorecardView';
import { num, signed, stamp } from '../format';
import { WeeklyReview } from './scorecard/review';

interface Progress {
  done: number;
  probes: number;
  last?: string;
}

export function ScorecardView({
  environment,
  theme,
  runIfNone = false,
}: {
  environment: string;
  theme: 'dark' | 'light';
  /** Run at once when the environment has no stored scorecard yet. */
  runIfNone?: boolean;
}) {
  const [view, setView] = useState<View | null>(null);
  const [chart, setChart] = useState<string | null>(null);
  const [running, setRunning] = useState(false);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reviewing, setReviewing] = useState(false);

  const loadChart = useCallback(() => {
    call('get_trend_chart', { environment, theme: theme === 'dark' ? 'dark' : 'light' })
      .then((c) => setChart(c.points > 0 ? c.svg : null))
      .catch(() => setChart(null));
  }, [environment, theme]);

  useEffect(() => {
    setView(null);
    setError(null);
    call('get_scorecard', { environment })
      .then(setView)
      .catch((e) => setError(e instanceof CommandError ? e.message : String(e)));
  }, [environment]);
  useEffect(loadChart, [loadChart]);

  useEffect(
    () =>
      onEvent((e) => {
        if (e.environment !== environment) return;
        if (e.type === 'scorecardStarted') setProgress({ done: 0, probes: e.probes });
        if (e.type === 'probeFinished') setProgress({ done: e.done, probes: e.probes, last: e.probe });
        // Another window (a shared war-room screen, the desktop app) ran it:
        // show the new result here too.
        if (e.type === 'scorecardFinished') {
          call('get_scorecard', { environment }).then(setView).catch(() => {});
          loadChart();
        }
      }),
    [environment, loadChart],
  );

  const run = useCallback(async () => {
    if (running) return;
    setRunning(true);
    setError(null);
    setProgress({ done: 0, probes: 0 });
    try {
      setView(await call('run_scorecard', { environment }));
      loadChart();
    } catch (e) {
      setError(e instanceof CommandError ? e.message : String(e));
    } finally {
      setRunning(false);
      setProgress(null);
    }
  }, [environment, running, loadChart]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      if (e.key === 'r' && !e.ctrlKey && !e.metaKey && !target?.closest('input, select, textarea')) void run();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [run]);

  // A first look at a new environment (the welcome screen's): run now
  // rather than show an empty card; once per environment.
  const [autoRan, setAutoRan] = useState<string | null>(null);
  useEffect(() => {
    if (runIfNone && view && !view.scorecard && autoRan !== environment) {
      setAutoRan(environment);
      void run();
    }
  }, [runIfNone, view, environment, autoRan, run]);

  const card = view?.scorecard;
  // The title names what is on screen; it is also how the start-up
  // benchmark sees the first meaningful paint from outside the window.
  useEffect(() => {
    if (!view) return;
    setTitle(card ? `Readyroom — ${environment} ${num(card.score)}/100 ${card.grade}` : `Readyroom — ${environment}`);
  }, [view, card, environment]);

  return html`
    <section class="scorecard" aria-busy=${running}>
      <div class="summary panel">
        ${card
          ? html`
              <div class="score" data-testid="score">
                <span class="big">${num(card.score)}</span><span class="of">/ 100</span>
              </div>
              <div class=${`grade grade-${card.grade}`} data-testid="grade" title="Grade">${card.grade}</div>
              <div class="coverage" data-testid="coverage" title="Share of points whose evidence was gathered">
                coverage <b>${num(card.coverage)} %</b>
              </div>
              <div class="muted measured">measured ${stamp(card.measuredAt)}</div>
            `
          : html`<div class="muted">${view ? 'No scorecard yet for this environment.' : 'Loading…'}</div>`}
        <span class="spacer"></span>
        <button class="ghost" onClick=${() => setReviewing(!reviewing)} aria-expanded=${reviewing} disabled=${!card}>
          Weekly review
        </button>
        <div class="run">
          <button class="primary" onClick=${run} disabled=${running} title="Run the probes now (r)">
            ${running ? 'Running…' : 'Run now'}
          </button>
          ${progress &&
          html`<div class="progress">
            <progress max=${Math.max(progress.probes, 1)} value=${progress.done} aria-label="Probes finished"></progress>
            <small>${progress.probes ? `${progress.done} of ${progress.probes} probes` : 'starting'}${progress.last ? ` · ${progress.last} done` : ''}</small>
          </div>`}
        </div>
      </div>
      ${error && html`<div class="panel error" role="alert">${error}</div>`}
      ${reviewing && html`<${WeeklyReview} environment=${environment} onClose=${() => setReviewing(false)} />`}
      ${view && view.skipped.length > 0 &&
      html`<div class="panel warning" data-testid="skipped-runs">
        <p>Some stored runs could not be read and were left out:</p>
        <ul>${view.skipped.map((s) => html`<li>${s}</li>`)}</ul>
      </div>`}
      ${card &&
      html`
        <div class="categories">
          ${card.categories.map(
            (c) => html`
              <section class="panel category" aria-label=${c.name}>
                <h2>${c.name} <span class="muted">${num(c.score)} / ${num(c.weight)}</span></h2>
                <meter min="0" max=${c.weight} value=${c.score} aria-label=${`${c.name} points`}></meter>
                <ul class="checks">
                  ${c.checks.map((check) => html`<${CheckRow} check=${check} />`)}
                </ul>
              </section>
            `,
          )}
        </div>
      `}
      <div class="lower">
        <section class="panel trend">
          <h2>Trend</h2>
          ${chart
            ? html`<img alt="Score over time" src=${`data:image/svg+xml;charset=utf-8,${encodeURIComponent(chart)}`} />`
            : html`<p class="muted">No stored runs yet.</p>`}
        </section>
        <${DiffPanel} diff=${view?.diff ?? null} />
      </div>
    </section>
  `;
}

function CheckRow({ check }: { check: CheckResult }) {
  const [open, setOpen] = useState(false);
  return html`
    <li class=${`check ${check.outcome}`}>
      <button class="check-head" aria-expanded=${open} onClick=${() => setOpen(!open)} data-check=${check.id}>
        <span class=${`badge ${check.outcome}`}>${check.outcome}</span>
        <span class="name">${check.name}</span>
        <span class="measured">${check.measured}</span>
        <span class="points">${num(check.earned)} / ${num(check.points)}</span>
      </button>
      ${open &&
      html`
        <dl class="evidence">
          <dt>Check</dt><dd><code>${check.id}</code></dd>
          <dt>Measured</dt><dd>${check.measured}</dd>
          <dt>Threshold</dt><dd>${check.threshold || '—'}</dd>
          <dt>Source</dt><dd>${check.source || '—'}</dd>
          <dt>Measured at</dt><dd>${stamp(check.measuredAt)}</dd>
          <dt>Why</dt><dd>${check.explanation}</dd>
        </dl>
      `}
    </li>
  `;
}

function DiffPanel({ diff }: { diff: ScorecardDiff | null }) {
  return html`
    <section class="panel diff" aria-label="Since the previous run">
      <h2>Since the previous run</h2>
      ${!diff
        ? html`<p class="muted">No previous run to compare with.</p>`
        : html`
            <p>
              ${num(diff.previousScore)} → <b>${num(diff.score)}</b>
              <span class=${diff.scoreDelta < 0 ? 'down' : diff.scoreDelta > 0 ? 'up' : ''}> (${signed(diff.scoreDelta)})</span>,
              coverage ${signed(diff.coverageDelta)} · previous run ${stamp(diff.previousMeasuredAt)}
            </p>
            ${diff.changes.length === 0
              ? html`<p class="muted">No check changed outcome.</p>`
              : html`<ul class="changes">
                  ${diff.changes.map(
                    (c) => html`<li>
                      <code>${c.id}</code> ${c.before ?? 'absent'} → <b>${c.after ?? 'absent'}</b>
                      <span class=${c.pointsDelta < 0 ? 'down' : 'up'}> ${signed(c.pointsDelta)} pts</span>
                    </li>`,
                  )}
                </ul>`}
          `}
    </section>
  `;
}
