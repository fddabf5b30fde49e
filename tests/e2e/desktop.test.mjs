// The real desktop app under Xvfb, driven through tauri-driver and
// WebKitWebDriver (TESTING.md): it starts, shows the scorecard, runs it,
// opens the Traces view on a trace sent to the demo's receiver and the
// Quotas view on the demo's usage, and
// screenshots are saved to tests/e2e/artifacts/desktop*.png.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { privateHome, startDesktop, waitFor } from './desktop-driver.mjs';
import { freePort, startTargets, stop, tempDir } from './harness.mjs';
import { checkout, newTraceId, otlpJson, send, spanIdOf } from './otlp.mjs';

let targets, desktop, receiverPort;
const traceId = newTraceId();
let wd, find, text, session;

before(async () => {
  const dataDir = tempDir();
  targets = await startTargets(dataDir);
  // The app's own OTLP receiver on ports of its own (the demo's config
  // names the ones the demo holds): the trace is sent there once it listens.
  receiverPort = await freePort();
  const config = join(dataDir, 'desktop.toml');
  writeFileSync(
    config,
    readFileSync(targets.config, 'utf8').replace(
      /(\[settings\.otlp\]\s*\nhttp = )"[^"]+"(\s*\ngrpc = )"[^"]+"/,
      `$1"127.0.0.1:${receiverPort}"$2"127.0.0.1:${await freePort()}"`,
    ),
  );
  desktop = await startDesktop({
    READYROOM_CONFIG: config,
    READYROOM_DATA_DIR: join(dataDir, 'desktop-data'),
    ...privateHome(dataDir),
  });
  ({ wd, find, text, session } = desktop);
});

after(async () => {
  await desktop?.stop();
  stop(targets?.demo);
});

test('the desktop app starts, shows the scorecard, runs it, and is screenshotted', async () => {
  const run = await waitFor(() => find('button.primary'), 'the Run now button');
  assert.equal(await text(run), 'Run now');
  const nav = await text(await find('nav.sidebar'));
  for (const area of ['Scorecard', 'Traces', 'Pools', 'Quotas', 'Deploys', 'Settings']) assert.match(nav, new RegExp(area));
  const envs = await wd('POST', `/session/${session}/execute/sync`, {
    script: 'return [...document.querySelectorAll("select[aria-label=Environment] option")].map(o => o.value)',
    args: [],
  });
  assert.deepEqual(envs, ['demo', 'staging']);
  await wd('POST', `/session/${session}/element/${run}/click`, {});
  const score = await waitFor(async () => {
    const t = await text(await find('[data-testid=score] .big'));
    return t && t.length > 0 ? t : null;
  }, 'a score');
  assert.ok(Number(score) > 0, `score ${score}`);
  const title = await wd('GET', `/session/${session}/title`);
  assert.match(title, /^Readyroom — demo \d/, 'the window title names the environment and score');
  // The window starts hidden and is shown once its page has loaded: it is
  // mapped now (xdotool exits 1 when no visible window matches).
  const shown = execFileSync('xdotool', ['search', '--onlyvisible', '--name', '^Readyroom — demo'], { stdio: ['ignore', 'pipe', 'ignore'] });
  assert.ok(shown.toString().trim(), 'a visible Readyroom window');
  const transport = await text(await find('.statusbar'));
  assert.match(transport, /desktop/, 'the UI knows it runs on the Tauri transport');
  assert.match(transport, /health updated/);
  const png = await wd('GET', `/session/${session}/screenshot`);
  const bytes = Buffer.from(png, 'base64');
  assert.ok(bytes.length > 10_000, `screenshot of ${bytes.length} bytes`);
  assert.equal(bytes.subarray(1, 4).toString(), 'PNG');
  const dir = new URL('./artifacts/', import.meta.url).pathname;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'desktop.png'), bytes);
});

test('the Traces view in the real window: the list, a waterfall, the next error', async () => {
  // The app's receiver listens once the window is up.
  await waitFor(
    () => send(`http://127.0.0.1:${receiverPort}`, otlpJson(traceId, 'demo', Date.now() - 5_000, checkout())).then(() => true),
    "the app's OTLP receiver",
  );
  const exec = (script) => wd('POST', `/session/${session}/execute/sync`, { script, args: [] });
  await exec('window.location.hash = "#/traces?service=checkout"');
  const link = await waitFor(() => find(`tr[data-trace="${traceId}"] a`), 'the sent trace in the list');
  await wd('POST', `/session/${session}/element/${link}/click`, {});
  await waitFor(() => find('.wf-canvas[data-painted="1"]'), 'the painted waterfall');
  assert.equal(await exec('return document.querySelector("[data-testid=waterfall]").dataset.rows'), '8');
  const scroll = await find('.wf-scroll');
  await wd('POST', `/session/${session}/element/${scroll}/click`, {});
  await wd('POST', `/session/${session}/actions`, {
    actions: [{ type: 'key', id: 'keyboard', actions: [{ type: 'keyDown', value: 'e' }, { type: 'keyUp', value: 'e' }] }],
  });
  await waitFor(
    async () => (await exec('return document.querySelector("[data-testid=waterfall]").dataset.selected')) === spanIdOf('pay1'),
    'the first error selected',
  );
  await waitFor(() => find('pre.stack'), 'the exception stack trace');
  const png = Buffer.from(await wd('GET', `/session/${session}/screenshot`), 'base64');
  assert.equal(png.subarray(1, 4).toString(), 'PNG');
  writeFileSync(join(new URL('./artifacts/', import.meta.url).pathname, 'desktop-traces.png'), png);
});

test('the Quotas view in the real window: the tiers, Vandelay in the heatmap', async () => {
  const exec = (script) => wd('POST', `/session/${session}/execute/sync`, { script, args: [] });
  await exec('window.location.hash = "#/quotas?list=any"');
  await waitFor(() => find('table.quota-tiers tr[data-tier="free"]'), "the demo's free tier");
  // The day's cell: the demo's traffic is counted from its first minute
  // (the minute's own cell is empty when the window has just turned).
  const cell = await waitFor(async () => {
    const c = await find('table.heatmap tr[data-workspace="ws_vandelay"] td:nth-of-type(3)');
    return /^\d+ %$/.test(await text(c)) && c;
  }, "Vandelay's requests today in the heatmap");
  assert.match(
    await wd('GET', `/session/${session}/element/${cell}/attribute/title`),
    /^Vandelay Industries, requests\/day: \d+ of 1,000/,
  );
  const row = await find('table.quota-list[data-list="any"] tr[data-workspace="ws_vandelay"]');
  assert.match(await text(row), /Vandelay Industries/);
  const png = Buffer.from(await wd('GET', `/session/${session}/screenshot`), 'base64');
  assert.equal(png.subarray(1, 4).toString(), 'PNG');
  writeFileSync(join(new URL('./artifacts/', import.meta.url).pathname, 'desktop-quotas.png'), png);
});

test('the Deploys view in the real window: the demo releases, the rollback offered (the desktop takes actions)', async () => {
  const exec = (script) => wd('POST', `/session/${session}/execute/sync`, { script, args: [] });
  await exec('window.location.hash = "#/deploys"');
  const sentence = await waitFor(async () => {
    const s = await find('[data-testid="deploys-sentence"] p');
    return /serves production/.test(await text(s)) && s;
  }, 'the Deploys sentence');
  assert.match(await text(sentence), /dpl_7c9 \(2\.14\.0, 3f9c2ab\) serves production; a rollback goes to dpl_7b4/);
  const row = await find('table.deployments tr[data-id="dpl_7b4"]');
  assert.match(await text(row), /Tomás Ortega/);
  // Unlike a browser without --allow-actions, the desktop app may act.
  const button = await find('table.deployments tr[data-id="dpl_7b4"] button');
  assert.match(await text(button), /Roll back to this/);
  const png = Buffer.from(await wd('GET', `/session/${session}/screenshot`), 'base64');
  assert.equal(png.subarray(1, 4).toString(), 'PNG');
  writeFileSync(join(new URL('./artifacts/', import.meta.url).pathname, 'desktop-deploys.png'), png);
});
