// Per tier: its workspaces, each limit with the tier's total in the
// limit's window, how many workspaces are near (80 % or more) and over,
// and 429s today; where the limits come from (the config or PRODUCT.md's
// plan table); a tier without limits said so, never counted as free.
import { html } from 'htm/preact';
import type { PlanView } from '../../bindings/PlanView';
import type { TierSummary } from '../../bindings/TierSummary';
import type { Limit } from '../../bindings/Limit';
import type { WindowTotals } from '../../bindings/WindowTotals';
import { count, LABEL, LIMITS } from './limits';

const WINDOW_OF: Record<Limit, WindowTotals['window']> = {
  requests_per_minute: 'minute',
  requests_per_hour: 'hour',
  requests_per_day: 'day',
  ai_calls_per_day: 'day',
  ai_tokens_per_day: 'day',
};

function totalOf(tier: TierSummary, limit: Limit): number {
  const w = tier.windows.find((w) => w.window === WINDOW_OF[limit]);
  if (!w) return 0;
  return limit === 'ai_calls_per_day' ? w.aiCalls : limit === 'ai_tokens_per_day' ? w.aiTokens : w.requests;
}

export function TiersTable({
  tiers,
  plans,
  selected,
  onTier,
}: {
  tiers: TierSummary[];
  plans: PlanView[];
  selected: string | null;
  onTier: (tier: string | null) => void;
}) {
  if (tiers.length === 0) return html`<p class="muted">No usage rows in the current windows.</p>`;
  const plan = (t: string) => plans.find((p) => p.tier.toLowerCase() === t.toLowerCase());
  return html`<table class="quota-tiers">
      <thead>
        <tr>
          <th>tier</th>
          <th class="num">workspaces</th>
          ${LIMITS.map((l) => html`<th class="num">${LABEL[l]}</th>`)}
          <th class="num">429s today</th>
        </tr>
      </thead>
      <tbody>
        ${tiers.map((t) => {
          const p = plan(t.tier);
          const on = selected !== null && selected.toLowerCase() === t.tier.toLowerCase();
          return html`<tr key=${t.tier} data-tier=${t.tier} class=${on ? 'selected' : ''}>
            <td>
              <button class="link" aria-pressed=${on} title=${on ? 'Show every tier in the lists' : `Only tier ${t.tier} in the lists`}
                onClick=${() => onTier(on ? null : t.tier)}><b>${t.tier}</b></button>
              <br /><small class="muted">${!t.limited ? 'no limits' : p?.configured ? 'limits from the config' : 'default plan (PRODUCT.md)'}</small>
            </td>
            <td class="num">${count(t.workspaces)}</td>
            ${t.limits.map(
              (c) => html`<td class="num" data-limit=${c.limit}>
                ${count(totalOf(t, c.limit))}
                ${c.value === null
                  ? html`<br /><small class="muted">no limit</small>`
                  : html`<br /><small class="muted">limit ${count(c.value)} each</small><br />
                      <span class=${c.near ? 'band-near' : 'muted'}>${c.near} near</span>${' · '}<span class=${c.over ? 'band-over' : 'muted'}>${c.over} over</span>`}
              </td>`,
            )}
            <td class="num">${count(t.windows.find((w) => w.window === 'day')?.throttled ?? 0)}</td>
          </tr>`;
        })}
      </tbody>
    </table>
    ${tiers
      .filter((t) => !t.limited)
      .map(
        (t) => html`<p class="warning" data-unlimited=${t.tier}>
          Tier <b>${t.tier}</b> has no limits in the plans: its ${count(t.workspaces)} workspaces are listed, never counted as
          free. Give it limits with <code>[quota.tiers.${t.tier}]</code>.
        </p>`,
      )}`;
}
