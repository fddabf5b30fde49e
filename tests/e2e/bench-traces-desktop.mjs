// The Traces view's benchmark in the desktop app (issue 10): the real
// window under Xvfb, driven through tauri-driver and WebKitWebDriver as
// the desktop test is. A 50,000-span trace is sent to the app's own OTLP
// receiver; per round, the click on it in the list → the waterfall's first
// painted frame (the page's performance marks), then frame times while
// scrolling and zooming (requestAnimationFrame intervals in WebKitGTK).
// Run: scripts/bench-traces-desktop [rounds]
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { framesInPage, median, pct, sendBigTrace } from './bench-data.mjs';
import { freePort, tempDir } from './harness.mjs';

const APP = process.env.READYROOM_DESKTOP_BIN;
if (!APP || !process.env.DISPLAY) throw new Error('needs READYROOM_DESKTOP_BIN and DISPLAY (use scripts/bench-traces-desktop)');
const rounds = Number(process.argv[2] ?? 3);
const DRIVER = process.env.TAURI_DRIVER ?? 'tauri-driver';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));


const port = await freePort();
const BASE = `http://127.0.0.1:${port}`;
async function wd(method, path, body) {
  const r = await fetch(`${BASE}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
  const json = await r.json();
  if (json.value?.error) throw new Error(`${path}: ${json.value.error}: ${json.value.message}`);
  return json.value;
}

async function waitFor(fn, what, ms = 120_000) {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      if (Date.now() > end) throw new Error(`${what}: ${e}`);
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const dir = tempDir('readyroom-bench-desktop-traces-');
const receiver = await freePort();
const config = join(dir, 'config.toml');
writeFileSync(config, `[settings.otlp]\nhttp = "127.0.0.1:${receiver}"\ngrpc = "127.0.0.1:${await freePort()}"\nmax_body_bytes = 67108864\n\n[environments.bench]\n`);
const driver = spawn(DRIVER, ['--port', String(port), '--native-port', String(await freePort())], {
  env: { ...process.env, READYROOM_CONFIG: config, READYROOM_DATA_DIR: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config'), XDG_DATA_HOME: join(dir, 'share') },
  stdio: ['ignore', 'ignore', 'inherit'],
  detached: true,
});
let session;
try {
  await waitFor(() => fetch(`${BASE}/status`).then((r) => r.ok), 'tauri-driver');
  session = (await wd('POST', '/session', { capabilities: { alwaysMatch: { browserName: 'wry', 'tauri:options': { application: APP } } } })).sessionId;
  const exec = (script, args = []) => wd('POST', `/session/${session}/execute/sync`, { script, args });
  const execAsync = (script, args = []) => wd('POST', `/session/${session}/execute/async`, { script, args });
  const find = (css) => wd('POST', `/session/${session}/element`, { using: 'css selector', value: css }).then((e) => Object.values(e)[0]);
  const traceId = '5a'.repeat(16);
  await waitFor(() => sendBigTrace(`http://127.0.0.1:${receiver}`, 50_000, traceId, 'big50k').then(() => true), "the app's receiver");
  await wd('POST', `/session/${session}/timeouts`, { script: 60_000 });
  const results = { open: [], scroll: [], zoom: [] };
  for (let round = 0; round < rounds; round++) {
    await exec('window.location.hash = "#/traces?service=big50k&since=1440"');
    const link = await waitFor(() => find(`tr[data-trace="${traceId}"] a`), 'the trace in the list');
    await exec("performance.clearMarks(); document.addEventListener('click', () => performance.mark('bench:click'), { capture: true, once: true });");
    await wd('POST', `/session/${session}/element/${link}/click`, {});
    await waitFor(() => find('.wf-canvas[data-painted="1"]'), 'the painted waterfall');
    results.open.push(
      await exec(
        "return performance.getEntriesByName('readyroom:waterfall-painted')[0].startTime - performance.getEntriesByName('bench:click')[0].startTime",
      ),
    );
    const frames = (kind) => execAsync(`const done = arguments[arguments.length - 1]; (${framesInPage.toString()})({ kind: '${kind}', ms: 3000 }).then(done);`);
    const scroll = await frames('scroll');
    const zoom = await frames('zoom');
    results.scroll.push(median(scroll), pct(scroll, 0.95));
    results.zoom.push(median(zoom), pct(zoom, 0.95));
    await exec('window.location.hash = "#/traces"');
  }
  console.log(
    JSON.stringify(
      {
        'desktop (WebKitGTK under Xvfb): click → first painted waterfall, 50k spans (per round)': results.open.map((x) => `${Math.round(x)} ms`),
        'scroll 50k: median / p95 frame (per round)': results.scroll.map((x) => x.toFixed(1)),
        'zoom 50k: median / p95 frame (per round)': results.zoom.map((x) => x.toFixed(1)),
      },
      null,
      2,
    ),
  );
} finally {
  if (session) await wd('DELETE', `/session/${session}`).catch(() => {});
  try {
    process.kill(-driver.pid, 'SIGTERM');
  } catch {}
  await sleep(500);
  try {
    process.kill(-driver.pid, 'SIGKILL');
  } catch {}
}
