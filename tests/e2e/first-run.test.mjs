// The first run in Chromium against `readyroom serve` with no config file:
// the welcome screen; a value the config check refuses is refused with
// its reason and nothing is written; Test connection probes the form's
// health URL before anything is saved; Save writes the config and the
// scorecard runs; the welcome screen does not come back.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { launchChromium, startServe, stop, tempDir } from './harness.mjs';

let server, browser, page, app, config;
const pageErrors = [];

before(async () => {
  const dataDir = tempDir();
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
