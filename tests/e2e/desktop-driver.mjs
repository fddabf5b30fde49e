// The real desktop app under Xvfb through tauri-driver and WebKitWebDriver
// (TESTING.md): start the driver with the app's environment, open a W3C
// session on the binary, and the few WebDriver calls the tests use.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const APP = process.env.READYROOM_DESKTOP_BIN;
const DRIVER = process.env.TAURI_DRIVER ?? 'tauri-driver';

/** Polls `fn` until it gives a truthy value (errors count as not yet). */
export async function waitFor(fn, what, ms = 30_000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ''}`);
}

/**
 * Starts tauri-driver on its own ports with `env` added to this process's
 * (the app inherits it: READYROOM_CONFIG, READYROOM_DATA_DIR, private
 * XDG folders) and opens a session on the desktop binary.
 */
export async function startDesktop(env, port = 4444 + (process.pid % 500)) {
  if (!APP) throw new Error('READYROOM_DESKTOP_BIN must name the desktop binary (scripts/test sets it)');
  if (!process.env.DISPLAY) throw new Error('run under Xvfb (scripts/test does: xvfb-run)');
  const base = `http://127.0.0.1:${port}`;
  const driver = spawn(DRIVER, ['--port', String(port), '--native-port', String(port + 1)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
    // Its own process group, which WebKitWebDriver and the app join: see stop().
    detached: true,
  });
  async function wd(method, path, body) {
    // The driver's proxy can drop a connection right after a session ends:
    // retry once (TESTING.md).
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await fetch(`${base}${path}`, {
          method,
          headers: { 'content-type': 'application/json' },
          body: body ? JSON.stringify(body) : undefined,
        });
        const json = await r.json();
        if (json.value && json.value.error) throw new Error(`${path}: ${json.value.error}: ${json.value.message}`);
        return json.value;
      } catch (e) {
        if (attempt >= 1 || String(e).includes(': ')) throw e;
        await new Promise((res) => setTimeout(res, 500));
      }
    }
  }
  await waitFor(() => fetch(`${base}/status`).then((r) => r.ok), 'tauri-driver');
  const created = await wd('POST', '/session', {
    capabilities: { alwaysMatch: { browserName: 'wry', 'tauri:options': { application: APP } } },
  });
  const session = created.sessionId;
  const at = (path) => `/session/${session}${path}`;
  return {
    session,
    wd,
    find: (css) => wd('POST', at('/element'), { using: 'css selector', value: css }).then((e) => Object.values(e)[0]),
    text: (el) => wd('GET', at(`/element/${el}/text`)),
    click: (el) => wd('POST', at(`/element/${el}/click`), {}),
    exec: (script) => wd('POST', at('/execute/sync'), { script, args: [] }),
    /** Saves the window as artifacts/NAME and returns the PNG's bytes. */
    async screenshot(name) {
      const png = Buffer.from(await wd('GET', at('/screenshot')), 'base64');
      const dir = new URL('./artifacts/', import.meta.url).pathname;
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, name), png);
      return png;
    },
    /** Ends the session, then the driver, WebKitWebDriver and the app together. */
    async stop() {
      await wd('DELETE', at('')).catch(() => {});
      // An app left behind would hold the test's output pipe open and the
      // runner would wait on it forever (seen once).
      const group = (signal) => {
        try {
          process.kill(-driver.pid, signal);
        } catch {}
      };
      group('SIGTERM');
      await new Promise((r) => setTimeout(r, 1_000));
      group('SIGKILL');
    },
  };
}

/** Private XDG folders for the app: nothing lands in the real home. */
export function privateHome(dir) {
  const home = join(dir, 'home');
  mkdirSync(home, { recursive: true });
  return {
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local/share'),
    XDG_CACHE_HOME: join(home, '.cache'),
  };
}
