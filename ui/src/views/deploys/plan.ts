// What a rollback changes, in the words the CLI uses: current → target,
// what is passed over, warnings, and what the provider does after.
import { html } from 'htm/preact';
import type { Deployment } from '../../bindings/Deployment';
import type { Plan } from '../../bindings/Plan';

export function describe(d: Deployment): string {
  const detail = [d.version, d.commit?.slice(0, 7)].filter(Boolean).join(', ');
  return detail ? `${d.id} (${detail})` : d.id;
}

export function PlanLines({ plan }: { plan: Plan }) {
  const between = plan.rolledPast.filter((d) => d.id !== plan.from?.id);
  return html`<div class="plan" data-testid="plan">
    ${plan.from && plan.to
      ? html`<p class="plan-move"><b>${describe(plan.from)}</b> → <b>${describe(plan.to)}</b></p>`
      : html`<p>The provider's previous release (it does not list its deployments).</p>`}
    ${between.length ? html`<p class="muted">Passed over: ${between.map(describe).join(', ')}</p>` : null}
    ${plan.warnings.map((w) => html`<p class="error-text">Warning: ${w}</p>`)}
    ${plan.after && plan.direction === 'back' ? html`<p class="muted">After: ${plan.after}</p>` : null}
  </div>`;
}
