// Settings → Environments: add, rename and remove environments, make one
// the default, and edit one in its form. Every change is an `edit_config`
// (validated, atomic, the previous file kept as .bak).
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { call, CommandError } from '../../backend';
import type { AppInfo } from '../../bindings/AppInfo';
import type { ConfigEdit } from '../../bindings/ConfigEdit';
import { EnvironmentFormView } from './env-form';

export function Environments({ info, onChanged }: { info: AppInfo; onChanged: () => void }) {
  const names = info.environments.map((e) => e.name);
  const [open, setOpen] = useState<string | null>(names[0] ?? null);
  const [adding, setAdding] = useState('');
  const [renaming, setRenaming] = useState<{ from: string; to: string } | null>(null);
  const [removing, setRemoving] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const apply = async (edits: ConfigEdit[], then?: () => void) => {
    setBusy(true);
    setError(null);
    try {
      const file = await call('get_config_file', {});
      await call('edit_config', { edits, revision: file.revision });
      then?.();
      onChanged();
    } catch (e) {
      setError(e instanceof CommandError ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  const current = open && names.includes(open) ? open : null;

  return html`<section class="panel" aria-label="Environments" data-testid="environments">
    <h2>Environments</h2>
    <table>
      <thead><tr><th>Name</th><th>Base URL</th><th>Secrets</th><th></th></tr></thead>
      <tbody>
        ${info.environments.map(
          (e) => html`<tr data-environment=${e.name} class=${e.name === current ? 'selected' : ''}>
            <td>${e.name}${e.name === info.defaultEnvironment ? html` <small class="muted">(default)</small>` : ''}</td>
            <td>${e.baseUrl ?? '—'}</td>
            <td>${e.secrets.join(', ') || '—'}</td>
            <td class="row-actions">
              <button type="button" class="ghost" onClick=${() => setOpen(e.name)} aria-label=${`Edit ${e.name}`}>Edit</button>
              <button type="button" class="ghost" onClick=${() => setRenaming({ from: e.name, to: e.name })} aria-label=${`Rename ${e.name}`}>Rename…</button>
              ${e.name !== info.defaultEnvironment
                ? html`<button type="button" class="ghost" disabled=${busy}
                    onClick=${() => void apply([{ op: 'setDefault', name: e.name }])} aria-label=${`Make ${e.name} the default`}>Make default</button>`
                : ''}
              <button type="button" class="ghost" onClick=${() => setRemoving(e.name)} aria-label=${`Remove ${e.name}`}>Remove…</button>
            </td>
          </tr>`,
        )}
      </tbody>
    </table>
    ${renaming
      ? html`<form class="inline-form" onSubmit=${(ev: Event) => {
          ev.preventDefault();
          void apply([{ op: 'renameEnvironment', from: renaming.from, to: renaming.to.trim() }], () => {
            if (open === renaming.from) setOpen(renaming.to.trim());
            setRenaming(null);
          });
        }}>
          <label>Rename <code>${renaming.from}</code> to
            <input aria-label="New name" value=${renaming.to} required
              onInput=${(ev: Event) => setRenaming({ ...renaming, to: (ev.target as HTMLInputElement).value })} />
          </label>
          <button type="submit" class="primary" disabled=${busy}>Rename</button>
          <button type="button" class="ghost" onClick=${() => setRenaming(null)}>Cancel</button>
          <small class="muted">Its sections and the default follow; keychain entries keep their names.</small>
        </form>`
      : ''}
    ${removing
      ? html`<div class="inline-form warning" role="alertdialog" aria-label=${`Remove ${removing}`}>
          <span>Remove <code>${removing}</code> and its sections from the config? Its keychain entries and history stay.</span>
          <button type="button" class="primary" disabled=${busy}
            onClick=${() => void apply([{ op: 'removeEnvironment', name: removing }], () => setRemoving(null))}>Remove ${removing}</button>
          <button type="button" class="ghost" onClick=${() => setRemoving(null)}>Cancel</button>
        </div>`
      : ''}
    <form class="inline-form" onSubmit=${(ev: Event) => {
      ev.preventDefault();
      const name = adding.trim();
      void apply([{ op: 'addEnvironment', name }], () => {
        setOpen(name);
        setAdding('');
      });
    }}>
      <label>Add <input aria-label="Name to add" placeholder="staging" value=${adding}
        onInput=${(ev: Event) => setAdding((ev.target as HTMLInputElement).value)} /></label>
      <button type="submit" class="ghost" disabled=${busy || !adding.trim()}>Add environment</button>
    </form>
    ${error ? html`<p class="error-text" role="alert" data-testid="environments-error">${error}</p>` : ''}
    ${current ? html`<${EnvironmentFormView} environment=${current} onSaved=${onChanged} />` : ''}
  </section>`;
}
