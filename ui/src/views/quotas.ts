// Quotas: who is being throttled, and who is about to be. A sentence at
// the top, the tiers, the lists (over, near, projected to run out,
// throttled, top AI spenders, every workspace) sortable, AI cost per tier
// and the heatmap of workspaces × limits; below, the trend from the
// background sampler's snapshots (who was throttled on which day). Read from the environment's quota source while the view is open;
// when the source fails, the last good reading stays, under "failing
// since".
import { html } from 'htm/preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { call, CommandError } from '../backend';
import type { QuotaView } from '../bindings/QuotaView';
import type { Which } from '../bindings/Which';
import type { WorkspaceList } from '../bindings/WorkspaceList';
import { ago, stamp } from '../format';
import { AiCostPanel } from './quotas/cost';
import { Heatmap } from './quotas/heatmap';
import { count } from './quotas/limits';
import { WorkspaceTable } from './quotas/list';
import { TiersTable } from './quotas/tiers';
import { QuotaTrendPanel } from './quotas/trend';

/** Each read is a query on production (or a call to its usage endpoint):
 *  every 15 s is fresh enough for minute windows and gentle. */
const READ_MS = 15_000;
/** The lists' rows; "Show more" asks for the most the API gives. */
const CAP = 50;
const CAP_MAX = 1000;

const TITLES: Record<Which, string> = {
  over: 'Over a limit',
  near: 'Near a limit',
  projected: 'Projected to run out',
  throttled: 'Throttled today',
  any: 'Every workspace',
  spenders: 'Top AI spenders',
};
const EXPLAIN: Record<Which, string> = {
  over: 'Past a limit in its current window (used > limit).',
  near: 'At 80 % of a limit or more, up to the limit itself.',
  projected:
    'At the rate so far in the window, a limit is reached before the window resets. A projection, not a measurement: its basis is beside it.',
  throttled: 'Answered 429 at least once in the current day.',
  any: 'Every workspace with usage in the current windows, the heaviest first.',
  spenders: "Whose AI tokens cost most today, at their tier's price.",
};
const TABS: readonly Which[] = ['over', 'near', 'projected', 'throttled', 'spenders', 'any'];
/** The tab shown first: the first of these with anyone in it. */
const FIRST: readonly Which[] = ['over', 'near', 'projected', 'throttled'];

/** A reason ends as a sentence does, before the next one starts. */
const sentenceOf = (text: string) => (/[.!?]$/.test(text.trim()) ? text : `${text}.`);

function hashParams(): URLSearchParams {
  return new URLSearchParams(window.location.hash.split('?')[1] ?? '');
}

function sentence(lists: WorkspaceList[], tier: string | null): { text: string; level: string } {
  const n = (w: Which) => lists.find((l) => l.which === w)?.total ?? 0;
  const [over, near, projected, throttled] = [n('over'), n('near'), n('projected'), n('throttled')];
  const ws = (k: number) => `${count(k)} workspace${k === 1 ? '' : 's'}`;
  const parts: string[] = [];
  if (over) parts.push(`${ws(over)} over a limit`);
  if (near) parts.push(`${ws(near)} near a limit`);
  if (projected) parts.push(`${ws(projected)} projected to run out before the window resets`);
  if (throttled) parts.push(`${ws(throttled)} throttled today`);
  const of = tier ? ` in tier ${tier}` : '';
  if (!parts.length) return { text: `No workspace${of} is near a limit or throttled.`, level: 'ok' };
  const text = parts.join('; ') + of + '.';
  return { text: text[0].toUpperCase() + text.slice(1), level: over ? 'critical' : 'warning' };
}

export function QuotasView({ environment }: { environment: string }) {
  const [view, setView] = useState<QuotaView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tier, setTier] = useState<string | null>(hashParams().get('tier'));
  const [which, setWhich] = useState<Which | null>((hashParams().get('list') as Which) || null);
  const [cap, setCap] = useState(CAP);
  const [reading, setReading] = useState(false);
  const inFlight = useRef(false);

  const load = useCallback(async () => {
    if (inFlight.current) return;
    inFlight.current = true;
    setReading(true);
    try {
      setView(await call('get_quota', { environment, tier: tier ?? undefined, cap }));
      setError(null);
    } catch (e) {
      setError(e instanceof CommandError ? e.message : String(e));
    } finally {
      inFlight.current = false;
      setReading(false);
    }
  }, [environment, tier, cap]);

  useEffect(() => setView(null), [environment]);
  useEffect(() => {
    void load();
    const timer = window.setInterval(() => void load(), READ_MS);
    return () => window.clearInterval(timer);
  }, [load]);

  // The view's state in the address, so a link shows the same list.
  useEffect(() => {
    const q = new URLSearchParams();
    if (which) q.set('list', which);
    if (tier) q.set('tier', tier);
    const s = q.toString();
    window.history.replaceState(null, '', `#/quotas${s ? `?${s}` : ''}`);
  }, [which, tier]);

  if (error && !view) return html`<div class="panel error" role="alert"><h2>Quotas</h2><p>${error}</p></div>`;
  if (!view) return html`<div class="panel"><p class="muted">Reading quota usage…</p></div>`;
  if (!view.configured)
    return html`<section class="panel"><h2>Quotas</h2>
      <p class="muted">
        Not configured for ${view.environment}: add <code>[environments.${view.environment}.quota]</code> with <code>source = "postgres"</code>${' '}
        (the quota data contract, read through the environment's PostgreSQL) or <code>source = "http"</code> and <code>usage_url</code>.
        The README's Configuration section shows both.
      </p>
    </section>`;

  const r = view.reading;
  const lists = r?.lists ?? [];
  const shown = which ?? FIRST.find((w) => (lists.find((l) => l.which === w)?.total ?? 0) > 0) ?? 'any';
  const list = lists.find((l) => l.which === shown);
  const any = lists.find((l) => l.which === 'any');
  const said = r ? sentence(lists, view.tier) : null;
  const truncated = lists.some((l) => l.workspaces.length < l.total);

  return html`<div class="quotas-view">
    <div class=${`panel saturation level-${said?.level ?? 'unknown'}`} role="status" aria-live="polite">
      ${said ? html`<p class="sentence">${said.text}</p>` : html`<p class="sentence">No reading yet.</p>`}
      <div class="pools-meta">
        <span class="muted">${`${view.environment} · ${view.source ?? 'no source'}${r ? ` · read at ${stamp(r.at)}` : ''} · every ${READ_MS / 1000} s while open`}</span>
        <span class="spacer"></span>
        ${view.tier
          ? html`<button class="pill" title="Show every tier" onClick=${() => setTier(null)}>tier ${view.tier} ✕</button>`
          : null}
        <button class="ghost" disabled=${reading} onClick=${() => void load()}>${reading ? 'Reading…' : 'Read now'}</button>
      </div>
      ${view.problem
        ? html`<div class="source-problem" role="alert">
            <b>Failing since ${stamp(view.problem.since)}</b>${` (${ago(view.problem.since)}) — ${view.problem.source}: ${sentenceOf(view.problem.reason)}`}
            ${r ? html`${' '}<span class="muted">The last good reading, from ${stamp(r.at)}, is shown below.</span>` : null}
          </div>`
        : null}
      ${error ? html`<p class="error-text">${error}</p>` : null}
    </div>
    ${r
      ? html`
          <section class="panel" aria-labelledby="quota-tiers"><h2 id="quota-tiers">Tiers</h2>
            <${TiersTable} tiers=${r.tiers} plans=${view.plans} selected=${view.tier} onTier=${setTier} />
          </section>
          <section class="panel" aria-labelledby="quota-lists">
            <h2 id="quota-lists">Workspaces${view.tier ? html` <span class="muted">tier ${view.tier}</span>` : null}</h2>
            <div class="tabs" role="tablist" aria-label="Which workspaces">
              ${TABS.map((w) => {
                const l = lists.find((x) => x.which === w);
                return html`<button role="tab" aria-selected=${w === shown} class=${w === shown ? 'active' : ''} onClick=${() => setWhich(w)}>
                  ${TITLES[w]} <span class="count">${count(l?.total ?? 0)}</span>
                </button>`;
              })}
            </div>
            <p class="muted list-meta">${EXPLAIN[shown]}
              ${list && list.workspaces.length < list.total ? ` The first ${count(list.workspaces.length)} of ${count(list.total)} are shown.` : ''}</p>
            ${list ? html`<${WorkspaceTable} key=${shown} list=${list} at=${r.at} currency=${r.aiCost.currency} onTier=${setTier} />` : null}
            ${truncated && cap < CAP_MAX
              ? html`<p><button class="ghost" onClick=${() => setCap(CAP_MAX)}>Show up to ${count(CAP_MAX)} per list</button></p>`
              : null}
          </section>
          <section class="panel" aria-labelledby="quota-cost"><h2 id="quota-cost">AI cost today</h2>
            <${AiCostPanel} cost=${r.aiCost} />
          </section>
          <section class="panel" aria-labelledby="quota-heatmap">
            <h2 id="quota-heatmap">Share of the plan, per workspace and limit</h2>
            ${any && any.workspaces.length < any.total
              ? html`<p class="muted list-meta">The heaviest ${count(any.workspaces.length)} of ${count(any.total)} workspaces.</p>`
              : null}
            ${any ? html`<${Heatmap} list=${any} />` : null}
          </section>
        `
      : null}
    <section class="panel" aria-labelledby="quota-trend"><h2 id="quota-trend">Throttled over the last days</h2>
      <${QuotaTrendPanel} environment=${view.environment} refresh=${r?.at ?? view.problem?.since ?? null} />
    </section>
  </div>`;
}
