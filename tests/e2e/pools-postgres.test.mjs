// The Pools view in Chromium against real parts: `readyroom demo
// --postgres` on a fresh database of the machine's PostgreSQL, behind the
// PgBouncer the demo starts (its credentials put in the test keychain by
// the demo), read by `readyroom serve`. The server and pooler panels fill
// from the live sampler; under the drill the demo's slow queries show as
// active sessions on the server. Screenshot kept.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { launchChromium, spawnReadyroom, startServe, stop, tempDir, waitFor } from './harness.mjs';

const ADMIN_URL = process.env.READYROOM_TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const database = `readyroom_e2e_${process.pid}_${Date.now()}`;
const psql = (sql) => execFileSync('psql', [ADMIN_URL, '-qtAc', sql], { encoding: 'utf8' });

let demo, server, browser, page, dataDir;
const pageErrors = [];

before(async () => {
  psql(`CREATE DATABASE ${database}`);
  dataDir = tempDir();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  demo = spawnReadyroom(['demo', '--postgres', url.toString()], dataDir);
  const [, config] = await waitFor(demo.stderr, /Its config: (\S+)/, 90_000, 'readyroom demo --postgres');
  server = await startServe(config, dataDir);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(server.url);
});

after(async () => {
  await browser?.close();
  stop(server?.serve, demo);
  // The demo's sessions end with it; FORCE covers any still closing.
  await new Promise((r) => setTimeout(r, 1000));
  psql(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
});

test('the server and pooler panels read the real PostgreSQL and PgBouncer live', async () => {
  await page.locator('body').click();
  await page.keyboard.press('3');
  await page.locator('.saturation .sentence').waitFor();
  // The server's panel: sessions against the usable limit, by application.
  await page.getByText(/\d+ of \d+ usable \(max_connections \d+ minus \d+ reserved\)/).waitFor({ timeout: 30_000 });
  await page.locator('table.groups td', { hasText: 'acme-crm-api' }).first().waitFor();
  // The pooler's panel: the demo's pool, in session mode.
  const pool = page.locator('table.pools tr', { hasText: 'session' });
  await pool.first().waitFor({ timeout: 30_000 });
  assert.match(await pool.first().textContent(), /demo/);
  assert.equal(await page.getByText('Not configured').count(), 0, 'every source is configured');
  assert.match(await page.locator('.saturation .sentence').textContent(), /% of usable connections in use/);
  assert.deepEqual(pageErrors, []);
});

test('under the drill the slow queries show as active sessions, with their text on request', async () => {
  const drill = spawnReadyroom(['demo', 'drill'], dataDir);
  assert.equal(await new Promise((resolve) => drill.on('exit', resolve)), 0, 'demo drill');
  await page.locator('label.toggle input').check();
  const slow = page.locator('table.sessions tr', { hasText: 'pg_sleep' });
  await slow.first().waitFor({ timeout: 60_000 });
  assert.match(await slow.first().textContent(), /active/);
  assert.match(await slow.first().textContent(), /acme-crm-api/);
  await page.screenshot({ path: 'artifacts/pools-postgres.png', fullPage: true });
  assert.deepEqual(pageErrors, []);
});
