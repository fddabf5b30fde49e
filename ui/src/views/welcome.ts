// The first run: no config file yet (or one with no environment). Two ways
// in: the demo, started inside the app (`start_demo`) and shown at once, or
// the operator's own production from a short form that writes the config
// (validated like `config check`, never a secret) and tests the health URL
// before saving. Once an environment exists this screen does not come back.
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

/** `onSaved` gets the environment to show (and score) next. */
export function Welcome({ info, onSaved }: { info: AppInfo; onSaved: (environment: string) => void }) {
  const [name, setName] = useState('production');
  const [baseUrl, setBaseUrl] = useState('');
  const [health, setHealth] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [tested, setTested] = useState<ConnectionTest | null>(null);
  const [busy, setBusy] = useState<false | 'form' | 'demo'>(false);
  const [demoError, setDemoError] = useState<string | null>(null);

  const run = async (what: () => Promise<void>, which: 'form' | 'demo' = 'form') => {
    const fail = which === 'demo' ? setDemoError : setError;
    setBusy(which);
    fail(null);
    try {
      await what();
    } catch (e) {
      fail(e instanceof CommandError ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  const openDemo = () =>
    run(async () => {
      const demo = await call('start_demo', {});
      onSaved(demo.environment);
    }, 'demo');
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
        <p>It runs inside Readyroom until you leave it or close the app; your own config is not touched.</p>
        <div class="actions">
          <button type="button" class="primary" disabled=${busy} onClick=${() => void openDemo()}>
            ${busy === 'demo' ? 'Starting the demo…' : 'Open the demo'}
          </button>
        </div>
        ${demoError ? html`<p class="error-text" role="alert" data-testid="demo-error">${demoError}</p>` : null}
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
