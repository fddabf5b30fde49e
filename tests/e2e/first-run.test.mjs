// The first run in Chromium against `readyroom serve` with no config file:
// the welcome screen; Open the demo starts the demo production inside the
// app, scores it and receives its traces, and leaving it brings the welcome
// back with the operator's config still absent; a value the config check refuses is refused with
// its reason and nothing is written; Test connection probes the form's
// health URL before anything is saved; Save writes the config and the
// scorecard runs; the welcome screen does not come back.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { launchChromium, portAnswers, rpc, startServe, stop, tempDir } from './harness.mjs';

let server, browser, page, app, config, dataDir;
const pageErrors = [];

before(async () => {
  dataDir = tempDir();
  config = join(dataDir, 'conf', 'config.toml');
  app = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: 'ok' }));
  });
  await new Promise((resolve) => app.listen(0, '127.0.0.1', resolve));
  server = await startServe(config, dataDir);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(server.url);
});

after(async () => {
  await browser?.close();
  stop(server?.serve);
  app?.close();
});

async function until(what, fn, ms = 60_000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

test('no config: Open the demo runs it inside the app and scores it; leaving it shows the welcome again', async () => {
  await page.getByRole('heading', { name: 'Welcome to Readyroom' }).waitFor();
  await page.getByRole('button', { name: 'Open the demo' }).click();
  // Scored at once, without a click on Run now.
  await page.getByTestId('score').waitFor({ timeout: 90_000 });
  assert.ok(Number(await page.locator('[data-testid=score] .big').innerText()) > 0);
  assert.match(await page.getByTestId('demo-badge').innerText(), /Demo running/);
  assert.equal(await page.getByLabel('Environment').inputValue(), 'demo');

  const { body: info } = await rpc(server, 'get_app_info', {});
  assert.equal(info.demo.environment, 'demo');
  assert.equal(info.configPath, join(dataDir, 'demo', 'config.toml'), 'the app reads the demo config while it runs');
  assert.equal(info.demo.ownConfigPath, config);
  assert.ok(!existsSync(config), "the operator's config is not written by the demo");
  const port = Number(new URL(info.demo.baseUrl).port);
  assert.ok(await portAnswers(port), 'the demo production serves');
  // `readyroom demo drill` finds it like a demo started from the terminal.
  const state = JSON.parse(readFileSync(join(dataDir, 'demo', 'state.json'), 'utf8'));
  assert.equal(state.baseUrl, info.demo.baseUrl);
  // Its traces reach a receiver of this app and are listed for it.
  const traces = await until('the demo\'s traces', async () => {
    const r = await rpc(server, 'list_traces', { environment: 'demo', sinceMinutes: 60 });
    return r.body.traces?.length > 0 ? r.body.traces : null;
  });
  assert.ok(traces.some((t) => t.rootService === 'acme-crm-api'), JSON.stringify(traces[0]));
  await page.screenshot({ path: 'artifacts/first-run-demo.png' });
  // Settings says whose config it shows.
  await page.getByRole('link', { name: /Settings/ }).click();
  assert.match(await page.getByTestId('settings-demo').innerText(), /the demo's config/);
  assert.match(await page.getByTestId('config-path').innerText(), /demo\/config\.toml$/);

  await page.getByRole('button', { name: 'Leave the demo' }).click();
  await page.getByRole('heading', { name: 'Welcome to Readyroom' }).waitFor();
  assert.equal((await rpc(server, 'get_app_info', {})).body.demo, undefined);
  await until('the demo to stop serving', async () => !(await portAnswers(port)), 10_000);
  assert.ok(!existsSync(join(dataDir, 'demo', 'state.json')), 'demo drill no longer finds it');
  assert.ok(!existsSync(config));
});

test('no config: welcome, a refused value, Test connection, then Save scores production', async () => {
  await page.getByRole('heading', { name: 'Welcome to Readyroom' }).waitFor();
  assert.ok(!existsSync(config), 'nothing written by looking');
  const form = page.getByTestId('welcome-add');
  const healthUrl = `http://127.0.0.1:${app.address().port}/health`;

  await form.getByLabel('Health URLs').fill('not a url');
  await form.getByRole('button', { name: 'Save and score' }).click();
  const refused = await page.getByTestId('welcome-error').innerText();
  assert.match(refused, /not saved: .*health_urls/, refused);
  assert.ok(!existsSync(config), 'a refused value writes nothing');

  await form.getByLabel('Health URLs').fill(healthUrl);
  await form.getByRole('button', { name: 'Test connection' }).click();
  const tested = await page.getByTestId('connection-test').innerText();
  assert.match(tested, /✓ .*answered in \d+ ms/, tested);
  assert.ok(!existsSync(config), 'testing writes nothing');
  await page.screenshot({ path: 'artifacts/first-run.png', fullPage: true });

  await form.getByRole('button', { name: 'Save and score' }).click();
  await page.getByRole('button', { name: 'Run now' }).waitFor();
  const text = readFileSync(config, 'utf8');
  assert.match(text, /^# Readyroom's config/);
  assert.match(text, /\[environments\.production\]\nhealth_urls = \["http:\/\/127\.0\.0\.1:\d+\/health"\]/);
  await page.getByRole('button', { name: 'Run now' }).click();
  await page.getByTestId('score').waitFor({ timeout: 60_000 });
  await page.reload();
  await page.getByRole('button', { name: 'Run now' }).waitFor();
  assert.equal(await page.getByRole('heading', { name: 'Welcome to Readyroom' }).count(), 0, 'not again');
  assert.deepEqual(pageErrors, []);
});
