// Deploys: the button an operator reaches for when a release goes bad. A
// sentence at the top (what serves production, where a rollback would
// go), "Roll back…" and "Undo…", the provider's deployments with a
// rollback beside each eligible one, and the environment's audit log. The
// dialog (`deploys/dialog.ts`) runs the pre-flight, takes the reason and
// the typed confirmation, and shows progress and the verification.
import { html } from 'htm/preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { call, CommandError } from '../backend';
import type { Deployment } from '../bindings/Deployment';
import type { DeploysView as View } from '../bindings/DeploysView';
import type { SeenHealth } from '../bindings/SeenHealth';
import { ago } from '../format';
import { AuditLog } from './audit';
import { Ask, RollbackDialog } from './deploys/dialog';
import { describe, PlanLines } from './deploys/plan';

function eligible(d: Deployment, current: Deployment | undefined): boolean {
  return (
    !!current &&
    d.id !== current.id &&
    d.state === 'ready' &&
    d.rollbackCandidate !== false &&
    Date.parse(d.createdAt) < Date.parse(current.createdAt)
  );
}

/** "9/10 healthy", or "—" where no stored health sample names the release. */
function seenWords(h: SeenHealth | undefined): string {
  if (!h) return '—';
  const mostlyNot = h.samples >= 3 && h.healthy * 2 < h.samples;
  return `${h.healthy}/${h.samples} healthy${mostlyNot ? ' (mostly not)' : ''}`;
}

function stateWords(d: Deployment): string {
  const state = typeof d.state === 'string' ? d.state : d.state.other;
  return d.state === 'ready' && d.rollbackCandidate === false ? 'ready · not a rollback candidate' : state;
}

export function DeploysView({ environment }: { environment: string }) {
  const [view, setView] = useState<View | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [ask, setAsk] = useState<Ask | null>(null);
  const [refresh, setRefresh] = useState(0);

  const load = useCallback(async () => {
    try {
      setView(await call('list_deploys', { environment }));
      setError(null);
    } catch (e) {
      setError(e instanceof CommandError ? e.message : String(e));
    }
  }, [environment]);
  useEffect(() => {
    setView(null);
    void load();
  }, [load]);

  if (error && !view) return html`<div class="panel error" role="alert"><h2>Deploys</h2><p>${error}</p></div>`;
  if (!view) return html`<div class="panel"><p class="muted">Reading the deployments…</p></div>`;
  if (!view.configured)
    return html`<section class="panel"><h2>Deploys</h2>
      <p>${environment} has no deploy provider. Add <code>[environments.${environment}.deploy]</code> with
        <code>provider = "vercel"</code> (and <code>project_id</code>, <code>token_secret</code>), or
        <code>"demo"</code>; the README's Configuration lists every key.</p></section>`;

  const listing = view.listing;
  const current = listing?.deployments.find((d) => d.id === listing.current);
  const allowed = view.actions.allowed;
  const answered = () => {
    setRefresh((r) => r + 1);
    void load();
  };

  return html`<div class="deploys">
    <section class=${`panel sentence ${view.problem ? 'error' : ''}`} data-testid="deploys-sentence">
      ${view.problem
        ? html`<p role="alert">The deploy provider cannot be read: ${view.problem.message}</p>`
        : html`<p>
            ${current
              ? html`<b>${describe(current)}</b> serves production`
              : view.provider && !view.provider.lists
                ? `The ${view.provider.name} provider does not list deployments: a rollback asks it to go back to its own previous release`
                : 'The provider names no current deployment'}${view.next?.to
              ? html`; a rollback goes to <b>${describe(view.next.to)}</b>.`
              : view.whyNot
                ? html`; no rollback now: ${view.whyNot}`
                : '.'}
          </p>`}
      <div class="actions">
        <button class="primary danger" disabled=${!allowed || !view.next} onClick=${() => setAsk({ undo: false })}>
          Roll back…</button>
        ${view.undo
          ? html`<button class="ghost" disabled=${!allowed} onClick=${() => setAsk({ undo: true })}
              title=${`back to ${view.undo.to}, which the rollback in audit entry ${view.undo.rollbackSeq} left`}>
              Undo last rollback…</button>`
          : null}
        <button class="ghost" onClick=${() => void load()}>Read again</button>
      </div>
      ${!allowed && view.actions.whyNot ? html`<p class="muted" data-testid="actions-why-not">${view.actions.whyNot}</p>` : null}
      ${view.next ? html`<${PlanLines} plan=${view.next} />` : null}
      ${view.reconciled.map((r) => html`<p class="muted">Reconciled an interrupted rollback: ${r}</p>`)}
      ${listing?.notes.map((n) => html`<p class="error-text">${n}</p>`)}
    </section>
    ${listing
      ? html`<section class="panel">
          <h2>Production deployments <small class="muted">${view.provider?.name}</small></h2>
          <table class="deployments" data-testid="deployments">
            <tr><th></th><th>deployment</th><th>version</th><th>commit</th><th>message</th><th>author</th><th>age</th><th>state</th><th title="The health Readyroom saw while this release answered the health URLs">health seen</th><th></th></tr>
            ${listing.deployments.map(
              (d) => html`<tr data-id=${d.id} class=${d.id === listing.current ? 'current' : ''}>
                <td>${d.id === listing.current ? html`<b>current</b>` : d.id === view.next?.to?.id ? 'rollback →' : ''}</td>
                <td><code>${d.id}</code></td><td>${d.version ?? '—'}</td><td><code>${d.commit?.slice(0, 7) ?? '—'}</code></td>
                <td>${d.message ?? ''}</td><td>${d.author ?? ''}</td><td>${ago(d.createdAt)}</td><td>${stateWords(d)}</td>
                <td data-testid="seen">${seenWords(view.seen[d.id])}</td>
                <td>${allowed && eligible(d, current)
                  ? html`<button class="ghost small" onClick=${() => setAsk({ target: d.id, undo: false })}>Roll back to this…</button>`
                  : null}</td>
              </tr>`,
            )}
          </table>
          ${listing.truncated ? html`<p class="muted">The provider has more; older ones are not shown.</p>` : null}
        </section>`
      : null}
    <section class="panel">
      <h2>Audit log</h2>
      <${AuditLog} environment=${environment} refresh=${refresh} />
    </section>
    ${ask
      ? html`<${RollbackDialog} environment=${environment} ask=${ask} onClose=${() => setAsk(null)} onAnswered=${answered} />`
      : null}
  </div>`;
}
