// The shell: environment switcher, the five areas, the status bar, themes
// and keyboard shortcuts. Views render inside it.
import { html } from 'htm/preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { call, CommandError, transport } from './backend';
import type { AppInfo } from './bindings/AppInfo';
import { StatusBar } from './components/statusbar';
import { DeploysView } from './views/deploys';
import { PoolsView } from './views/pools';
import { QuotasView } from './views/quotas';
import { ScorecardView } from './views/scorecard';
import { TracesView } from './views/traces';
import { Settings } from './views/settings';
import { firstRun, Welcome } from './views/welcome';

export const AREAS = [
  { id: 'scorecard', label: 'Scorecard' },
  { id: 'traces', label: 'Traces' },
  { id: 'pools', label: 'Pools' },
  { id: 'quotas', label: 'Quotas' },
  { id: 'deploys', label: 'Deploys' },
  { id: 'settings', label: 'Settings' },
] as const;
type AreaId = (typeof AREAS)[number]['id'];

function routeFromHash(): AreaId {
  // `#/traces?status=error`: the area, then the view's own state.
  const id = window.location.hash.replace(/^#\/?/, '').split('?')[0];
  return (AREAS.find((a) => a.id === id)?.id ?? 'scorecard') as AreaId;
}

type Theme = 'dark' | 'light';
function initialTheme(): Theme {
  const saved = localStorage.getItem('readyroom.theme');
  if (saved === 'dark' || saved === 'light') return saved;
  return window.matchMedia?.('(prefers-color-scheme: light)').matches ? 'light' : 'dark';
}

export function App() {
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [env, setEnv] = useState<string>(localStorage.getItem('readyroom.env') ?? '');
  const [area, setArea] = useState<AreaId>(routeFromHash());
  const [theme, setTheme] = useState<Theme>(initialTheme());
  // The environment the welcome screen just added (or the demo it opened):
  // its scorecard runs at once instead of waiting for "Run now".
  const [scoreFirst, setScoreFirst] = useState<string | null>(null);

  const loadInfo = useCallback(async () => {
    try {
      const i = await call('get_app_info', {});
      setInfo(i);
      setError(null);
      const names = i.environments.map((e) => e.name);
      setEnv((current) => (names.includes(current) ? current : (i.defaultEnvironment ?? names[0] ?? '')));
    } catch (e) {
      setError(e instanceof CommandError ? e.message : String(e));
    }
  }, []);

  useEffect(() => {
    void loadInfo();
  }, [loadInfo]);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem('readyroom.theme', theme);
  }, [theme]);
  useEffect(() => {
    if (env) localStorage.setItem('readyroom.env', env);
  }, [env]);
  useEffect(() => {
    const onHash = () => setArea(routeFromHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  // Back to the operator's own config (the welcome screen, if it has no
  // environment yet).
  const leaveDemo = async () => {
    try {
      await call('stop_demo', {});
    } catch (e) {
      setError(e instanceof CommandError ? e.message : String(e));
    }
    await loadInfo();
    go('scorecard');
  };

  const go = (id: AreaId) => {
    window.location.hash = `#/${id}`;
    setArea(id);
  };

  // Keyboard: 1–6 switch areas, t toggles the theme (r, run now, lives in
  // the scorecard view). Ignored while typing in a field.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      if (e.ctrlKey || e.metaKey || e.altKey || target?.closest('input, select, textarea')) return;
      const n = Number(e.key);
      if (n >= 1 && n <= AREAS.length) go(AREAS[n - 1].id);
      else if (e.key === 't') setTheme((t) => (t === 'dark' ? 'light' : 'dark'));
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  let view;
  if (error) {
    view = html`<section class="panel error" role="alert"><h2>Readyroom cannot start</h2><p>${error}</p></section>`;
  } else if (!info) {
    view = html`<p class="muted">Loading…</p>`;
  } else if (firstRun(info) && area !== 'settings') {
    view = html`<${Welcome}
      info=${info}
      onSaved=${(name: string) => {
        setEnv(name);
        setScoreFirst(name);
        void loadInfo();
        go('scorecard');
      }}
    />`;
  } else if (area === 'settings') {
    view = html`<${Settings} info=${info} onChanged=${loadInfo} />`;
  } else if (!info.configValid) {
    view = html`<section class="panel error" role="alert">
      <h2>The config needs attention</h2>
      <p>${info.configError}</p>
      <p><a href="#/settings">Open Settings</a> to see every problem.</p>
    </section>`;
  } else if (!env) {
    view = html`<section class="panel"><h2>No environments</h2><p>Add an <code>[environments.NAME]</code> table to ${info.configPath}.</p></section>`;
  } else if (area === 'traces') {
    view = html`<${TracesView} environment=${env} theme=${theme} />`;
  } else if (area === 'pools') {
    view = html`<${PoolsView} environment=${env} />`;
  } else if (area === 'quotas') {
    view = html`<${QuotasView} environment=${env} />`;
  } else if (area === 'deploys') {
    view = html`<${DeploysView} environment=${env} />`;
  } else {
    view = html`<${ScorecardView} environment=${env} theme=${theme} runIfNone=${scoreFirst === env} />`;
  }

  return html`
    <div class="shell">
      <header class="topbar">
        <span class="brand">Readyroom</span>
        <label class="env">
          <span>Environment</span>
          <select
            aria-label="Environment"
            value=${env}
            onChange=${(e: Event) => setEnv((e.target as HTMLSelectElement).value)}
            disabled=${!info || info.environments.length === 0}
          >
            ${info?.environments.map((e) => html`<option value=${e.name}>${e.name}</option>`)}
          </select>
        </label>
        ${info?.demo
          ? html`<span class="demo-badge" data-testid="demo-badge" title=${`The demo production at ${info.demo.baseUrl}, running inside Readyroom`}>
              Demo running
              <button class="ghost" onClick=${() => void leaveDemo()}>Leave the demo</button>
            </span>`
          : null}
        <span class="spacer"></span>
        <button
          class="ghost"
          title="Toggle theme (t)"
          aria-label="Toggle dark and light theme"
          onClick=${() => setTheme(theme === 'dark' ? 'light' : 'dark')}
        >
          ${theme === 'dark' ? 'Light' : 'Dark'} theme
        </button>
      </header>
      <nav class="sidebar" aria-label="Areas">
        ${AREAS.map(
          (a, i) => html`
            <a
              href=${`#/${a.id}`}
              class=${a.id === area ? 'active' : ''}
              aria-current=${a.id === area ? 'page' : undefined}
              title=${`${a.label} (${i + 1})`}
            >
              <span>${a.label}</span>
              <kbd>${i + 1}</kbd>
            </a>
          `,
        )}
      </nav>
      <main id="main" tabindex="-1">${view}</main>
      <${StatusBar} environment=${env} transport=${transport.name} />
    </div>
  `;
}
