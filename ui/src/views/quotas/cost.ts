// AI cost today per tier: each tier's tokens priced as its model's
// (`[quota.ai_cost]`), and the total. Without that section every tier is
// priced at the stated default, and the panel says so, so nobody takes a
// placeholder for a bill.
import { html } from 'htm/preact';
import type { AiCost } from '../../bindings/AiCost';
import { count } from './limits';

/** An amount: cents, or finer where it is less than a cent. */
export function money(v: number | null | undefined, currency: string): string {
  if (v === null || v === undefined) return '—';
  // A few tokens cost less than 0.0001: shown to two significant digits,
  // never as a zero that hides that something was spent.
  const shown = v > 0 && v < 0.0001 ? v.toPrecision(2) : v > 0 && v < 0.01 ? v.toFixed(4) : v.toFixed(2);
  return `${shown} ${currency}`;
}

export function AiCostPanel({ cost }: { cost: AiCost }) {
  if (cost.tiers.length === 0) return html`<p class="muted">No usage rows in the current windows.</p>`;
  const first = cost.tiers[0].price;
  return html`<table class="quota-costs ai-cost">
      <thead>
        <tr>
          <th>tier</th>
          <th>priced as</th>
          <th class="num">per million tokens</th>
          <th class="num">AI tokens today</th>
          <th class="num">cost today</th>
        </tr>
      </thead>
      <tbody>
        ${cost.tiers.map(
          (t) => html`<tr key=${t.tier} data-tier=${t.tier}>
            <td><b>${t.tier}</b></td>
            <td>${t.price.model}</td>
            <td class="num">${money(t.price.perMillion, cost.currency)}</td>
            <td class="num">${count(t.tokens)}</td>
            <td class="num"><b>${money(t.cost, cost.currency)}</b></td>
          </tr>`,
        )}
      </tbody>
      <tfoot>
        <tr>
          <th colspan="4">total today</th>
          <td class="num"><b data-total>${money(cost.total, cost.currency)}</b></td>
        </tr>
      </tfoot>
    </table>
    ${cost.configured
      ? null
      : html`<p class="warning" data-default-prices>
          Priced at the default: every tier as model <code>${first.model}</code> at ${money(first.perMillion, cost.currency)} per
          million tokens, a placeholder. Set <code>[quota.ai_cost]</code> with your models' prices and which tier uses which (the
          README's Configuration section).
        </p>`}`;
}
