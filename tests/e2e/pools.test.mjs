// The Pools view in Chromium against `readyroom serve` on the demo: the
// sentence, the live app-pool chart from the background sampler, the
// panels that say what is not configured; then the incident drill fills
// the app's pool and the sentence says so; the route that waited most for
// a connection shows its p95 per minute with the pool's saturated
// stretches shaded. Screenshots in both themes.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchChromium, spawnReadyroom, startServe, startTargets, stop, tempDir } from './harness.mjs';

let targets, server, browser, page, dataDir;
const pageErrors = [];
const cspViolations = [];

before(async () => {
  dataDir = tempDir();
  targets = await startTargets(dataDir);
  server = await startServe(targets.config, dataDir);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  await page.goto(server.url);
});

after(async () => {
  await browser?.close();
  stop(server?.serve, targets?.demo);
});

const sentence = () => page.locator('.saturation .sentence');

test('the Pools view shows the app pool live from the sampler, and what is not configured', async () => {
  await page.locator('body').click();
  await page.keyboard.press('3');
  await sentence().waitFor();
  assert.match(await sentence().textContent(), /app pool \d+ of 5 in use/);
  const chart = page.getByRole('img', { name: 'App pool: in use and waiting' });
  await chart.waitFor();
  // Sampled every second while the view is open: lines appear within a
  // few samples.
  // (A flat line has no height, so Playwright calls it hidden: read the
  // path itself.)
  await page.waitForFunction(
    () => [...document.querySelectorAll('figure.pool-chart path.line')].some((p) => (p.getAttribute('d') ?? '').includes('L')),
    null,
    { timeout: 20_000 },
  );
  // Which requests pay: read from the environment's traces.
  await page.getByRole('heading', { name: 'Who waits for a connection' }).waitFor();
  await page.locator('#pools-waits + *').waitFor();
  await page.getByText('Not configured: add [environments.NAME.postgres]').waitFor();
  await page.getByText('Not configured: add [environments.NAME.pgbouncer]').waitFor();
  assert.match(await page.locator('.app-figures').textContent(), /max\s*5/);
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(cspViolations, []);
});

test('under the drill the app pool fills and the sentence says so', async () => {
  const drill = spawnReadyroom(['--config', targets.config, 'demo', 'drill'], dataDir);
  const code = await new Promise((resolve) => drill.on('exit', resolve));
  assert.equal(code, 0, 'demo drill');
  // Slow queries hold the pool's 5 connections: full, callers waiting.
  // The sentence is read in the same instant as its level (a sample a
  // second replaces both).
  const said = await page.waitForFunction(
    () => document.querySelector('.saturation.level-warning .sentence, .saturation.level-critical .sentence')?.textContent,
    null,
    { timeout: 60_000 },
  );
  // Full, or callers waiting (the demo's gauges are read one after the
  // other, so a waiter can show beside 4 in use).
  assert.match(await said.jsonValue(), /app pool (5 of 5 in use|\d of 5 in use, \d+ waiting)/);
  for (const theme of ['dark', 'light']) {
    await page.evaluate((t) => (document.documentElement.dataset.theme = t), theme);
    await page.screenshot({ path: `artifacts/pools-${theme}.png`, fullPage: true });
  }
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(cspViolations, []);
});

test('the route that waited for connections shows its p95 per minute, saturated stretches shaded', async () => {
  // The demo's traces arrive in batches and the waits panel reads every
  // 10 s: give both time.
  const chart = page.locator('.pool-chart', { hasText: 'p95 per minute' });
  await chart.waitFor({ timeout: 60_000 });
  assert.match(await chart.locator('figcaption b').textContent(), /^\/api\/\S+ \(acme-crm-api\): p95 per minute$/);
  // A line, or a dot while only one minute has requests.
  assert.ok((await chart.locator('path.line, circle.dot').count()) >= 1, 'the p95 is drawn');
  // The drill's callers waited on the app's pool: marked on the chart.
  await chart.locator('rect.saturated').first().waitFor({ state: 'attached', timeout: 30_000 });
  assert.match(await chart.locator('rect.saturated title').first().textContent(), /pool saturated: .*waiting/);
  // And the waits table names the route's share.
  assert.match(await page.locator('table.waits').textContent(), /pg-pool|%/);
  await chart.screenshot({ path: 'artifacts/pools-latency.png' });
  assert.deepEqual(pageErrors, []);
});
