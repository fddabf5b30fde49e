// Settings: the config file (location and validity), the environments
// with a form for each (settings/), and the secrets they reference with a
// form that sends a value straight to the keychain. Values never come back.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { call, CommandError } from '../backend';
import type { AppInfo } from '../bindings/AppInfo';
import type { SecretStatusRow } from '../bindings/SecretStatusRow';
import { AuditLog } from './audit';
import { Environments } from './settings/environments';

export function Settings({ info, onChanged }: { info: AppInfo; onChanged: () => void }) {
  const [secrets, setSecrets] = useState<SecretStatusRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [value, setValue] = useState('');
  const [saved, setSaved] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = () =>
    call('list_secrets', {})
      .then((v) => setSecrets(v.secrets))
      .catch((e) => setError(e instanceof CommandError ? e.message : String(e)));
  useEffect(() => {
    if (info.configValid) void load();
  }, [info]);

  const names = [...new Set(info.environments.flatMap((e) => e.secrets))];
  // Until one is picked, the form offers the first secret still missing.
  const chosen = name || secrets?.find((s) => !s.set)?.name || names[0] || '';
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setSaved(null);
    try {
      const r = await call('set_secret', { name: chosen, value });
      setSaved(`Stored secret '${r.name}' in the OS keychain.`);
      setValue('');
      await load();
      onChanged();
    } catch (err) {
      setError(err instanceof CommandError ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return html`
    <section class="settings">
      <section class="panel" aria-label="Config file">
        <h2>Config file</h2>
        <p><code data-testid="config-path">${info.configPath ?? 'none'}</code></p>
        ${info.demo
          ? html`<p class="warning" role="status" data-testid="settings-demo">
              This is the demo's config, read while the demo runs. Your own
              ${info.demo.ownConfigPath ? html` (<code>${info.demo.ownConfigPath}</code>)` : ''} comes back when you leave the demo.
            </p>`
          : null}
        ${info.configValid && info.problems.length === 0
          ? html`<p class="ok-text" data-testid="config-valid">Valid · ${info.environments.length} environment(s)</p>`
          : html`<div class="error" role="alert" data-testid="config-problems">
              <p>${info.configError ?? `${info.problems.length} problem(s) in the files the config names`}</p>
              <ul>${info.problems.map((p) => html`<li>line ${p.line}: <code>${p.path}</code> ${p.message}</li>`)}</ul>
            </div>`}
        ${info.warnings.length > 0
          ? html`<div class="warning" role="status" data-testid="config-warnings">
              <p>${info.warnings.length} warning(s)</p>
              <ul>${info.warnings.map((w) => html`<li>line ${w.line}: <code>${w.path}</code> ${w.message}</li>`)}</ul>
            </div>`
          : ''}
        <p class="muted">Edit it below or in your editor; Readyroom reads it fresh on every action. Readyroom ${info.version}.</p>
      </section>
      ${info.configValid ? html`<${Environments} info=${info} onChanged=${onChanged} />` : null}
      <section class="panel" aria-label="Secrets">
        <h2>Secrets</h2>
        ${secrets === null
          ? html`<p class="muted">Loading…</p>`
          : secrets.length === 0
            ? html`<p class="muted">The config references no secrets.</p>`
            : html`<table data-testid="secrets">
                <thead><tr><th>Secret</th><th>Environment</th><th>Referenced by</th><th>Status</th></tr></thead>
                <tbody>
                  ${secrets.map(
                    (s) => html`<tr data-secret=${s.name}>
                      <td><code>${s.name}</code></td><td>${s.environment}</td><td><code>${s.key}</code></td>
                      <td class=${s.set ? 'ok-text' : s.problem ? 'error-text' : 'muted'}>
                        ${s.set ? `set (${s.from})` : s.problem ? `unknown: ${s.problem}` : 'not set'}
                      </td>
                    </tr>`,
                  )}
                </tbody>
              </table>`}
        ${names.length > 0 &&
        html`<form class="secret-form" onSubmit=${submit} autocomplete="off">
          <label>Secret
            <select aria-label="Secret name" value=${chosen} onChange=${(e: Event) => setName((e.target as HTMLSelectElement).value)}>
              ${names.map((n) => html`<option value=${n}>${n}</option>`)}
            </select>
          </label>
          <label>Value
            <input type="password" aria-label="Secret value" value=${value} required
              onInput=${(e: Event) => setValue((e.target as HTMLInputElement).value)} />
          </label>
          <button class="primary" type="submit" disabled=${busy || !value}>Store in keychain</button>
        </form>`}
        ${saved && html`<p class="ok-text" role="status">${saved}</p>`}
        ${error && html`<p class="error-text" role="alert">${error}</p>`}
      </section>
      <section class="panel" aria-label="Audit log">
        <h2>Audit log</h2>
        <p class="muted">Every action taken against production from this machine: its intent, written before it was sent,
          and production's answer. Entries cannot be changed or removed; each is chained to the one before.</p>
        <${AuditLog} />
      </section>
    </section>
  `;
}
