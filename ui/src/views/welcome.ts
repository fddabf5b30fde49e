// The first run: no config file yet (or one with no environment). Two ways
// in: the demo, or the operator's own production from a short form that
// writes the config (validated like `config check`, never a secret) and
// tests the health URL before saving. Once an environment exists this
// screen does not come back.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { call, CommandError } from '../backend';
import type { AppInfo } from '../bindings/AppInfo';
import type { ConfigEdit } from '../bindings/ConfigEdit';
import type { ConnectionTest } from '../bindings/ConnectionTest';

/** True when the app has nothing to show yet. */
export function firstRun(info: AppInfo): boolean {
  return !info.configExists || (info.configValid && info.environments.length === 0);
}

function edits(name: string, baseUrl: string, health: string): ConfigEdit[] {
  const list: ConfigEdit[] = [{ op: 'addEnvironment', name }];
  if (baseUrl.trim()) list.push({ op: 'set', environment: name, key: 'base_url', value: baseUrl.trim() });
  const urls = health
    .split(/[\s,]+/)
    .map((u) => u.trim())
    .filter(Boolean);
  if (urls.length) list.push({ op: 'set', environment: name, key: 'health_urls', value: urls });
  return list;
}

export function Welcome({ info, onSaved }: { info: AppInfo; onSaved: (environment: string) => void }) {
  const [name, setName] = useState('production');
  const [baseUrl, setBaseUrl] = useState('');
  const [health, setHealth] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [tested, setTested] = useState<ConnectionTest | null>(null);
  const [busy, setBusy] = useState(false);

  const run = async (what: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await what();
    } catch (e) {
      setError(e instanceof CommandError ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  const test = () =>
    run(async () => {
      setTested(null);
      setTested(
        await call('test_connection', { environment: name, source: 'health', edits: edits(name, baseUrl, health) }),
      );
    });
  const save = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      const file = await call('get_config_file', {});
      await call('edit_config', { edits: edits(name, baseUrl, health), revision: file.revision });
      onSaved(name);
    });
  };

  return html`<div class="welcome">
    <section class="panel">
      <h2>Welcome to Readyroom</h2>
      <p>
        Readyroom reads your production, scores how ready it is, and helps in an incident. It needs to know where
        production is: ${info.configPath ? html`the settings go to <code>${info.configPath}</code>.` : null}
      </p>
    </section>
    <div class="welcome-ways">
      <section class="panel" data-testid="welcome-demo">
        <h2>Try the demo</h2>
        <p>A realistic production on this machine: tiers, usage, a flaky AI upstream, deployments and traffic.</p>
        <p>Start it from a terminal with <code>readyroom demo</code>; it opens Readyroom on it.</p>
      </section>
      <section class="panel" data-testid="welcome-add">
        <h2>Add your production</h2>
        <form onSubmit=${save}>
          <label>Name <small class="muted">letters, digits, - and _</small>
            <input name="name" value=${name} onInput=${(e: Event) => setName((e.target as HTMLInputElement).value)} required />
          </label>
          <label>Public URL <small class="muted">base_url: TLS, headers and the API checks read it</small>
            <input name="base_url" type="url" placeholder="https://app.example.com" value=${baseUrl}
              onInput=${(e: Event) => setBaseUrl((e.target as HTMLInputElement).value)} />
          </label>
          <label>Health URLs <small class="muted">health_urls: one or more, separated by commas</small>
            <input name="health_urls" placeholder="https://app.example.com/health" value=${health}
              onInput=${(e: Event) => setHealth((e.target as HTMLInputElement).value)} />
          </label>
          <div class="actions">
            <button type="button" class="ghost" disabled=${busy || !health.trim()} onClick=${() => void test()}>Test connection</button>
            <button type="submit" class="primary" disabled=${busy || !name.trim()}>Save and score</button>
          </div>
        </form>
        ${tested
          ? html`<p class=${tested.ok ? 'ok-text' : 'error-text'} data-testid="connection-test" role="status">
              ${tested.ok ? '✓' : '✗'} ${tested.message}
            </p>`
          : null}
        ${error ? html`<p class="error-text" role="alert" data-testid="welcome-error">${error}</p>` : null}
        <p class="muted">Secrets (a database URL, a token) are added later in Settings and go to the OS keychain, never into the file.</p>
      </section>
    </div>
  </div>`;
}
