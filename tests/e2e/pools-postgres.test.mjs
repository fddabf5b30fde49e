// The Pools view in Chromium against real parts: `readyroom demo
// --postgres` on a fresh database of the machine's PostgreSQL, behind the
// PgBouncer the demo starts (its credentials put in the test keychain by
// the demo), read by `readyroom serve`. The server and pooler panels fill
// from the live sampler; under the drill the demo's slow queries show as
// active sessions on the server. The cancel/terminate action: not offered
// by a `serve` started without --allow-actions; under --allow-actions a
// real session is terminated from its row, through the dialog, and the
// audit log lists it. Screenshots kept.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { launchChromium, spawnReadyroom, startServe, stop, tempDir, waitFor } from './harness.mjs';

const ADMIN_URL = process.env.READYROOM_TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const database = `readyroom_e2e_${process.pid}_${Date.now()}`;
const psql = (sql) => execFileSync('psql', [ADMIN_URL, '-qtAc', sql], { encoding: 'utf8' });

let demo, server, browser, page, dataDir, config, databaseUrl;
const pageErrors = [];

before(async () => {
  psql(`CREATE DATABASE ${database}`);
  dataDir = tempDir();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  demo = spawnReadyroom(['demo', '--postgres', url.toString()], dataDir);
  databaseUrl = url.toString();
  [, config] = await waitFor(demo.stderr, /Its config: (\S+)/, 90_000, 'readyroom demo --postgres');
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

/** A psql session of its own application, left idle in a transaction. */
function idleInTransaction(application) {
  const session = spawn('psql', [databaseUrl, '-qtA'], {
    env: { ...process.env, PGAPPNAME: application },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  session.stdin.write('BEGIN; SELECT pg_backend_pid();\n');
  return session;
}

test('without --allow-actions the browser is not offered cancel or terminate, and is told why', async () => {
  const stuck = idleInTransaction('e2e-not-offered');
  try {
    const row = page.locator('table.sessions tr', { hasText: 'e2e-not-offered' });
    await row.first().waitFor({ timeout: 30_000 });
    assert.equal(await page.getByRole('button', { name: 'Terminate…' }).count(), 0);
    assert.match(await page.getByTestId('cancel-off').textContent(), /started without --allow-actions/);
  } finally {
    stuck.kill();
  }
});

test('under serve --allow-actions a session is terminated from its row and the audit log says so', async () => {
  // The same store, a serve that takes actions.
  stop(server.serve);
  await new Promise((resolve) => (server.serve.exitCode === null ? server.serve.on('exit', resolve) : resolve()));
  server = await startServe(config, dataDir, ['--allow-actions']);
  await page.goto(server.url);
  await page.locator('body').click();
  await page.keyboard.press('3');

  const stuck = idleInTransaction('e2e-stuck');
  const [pidLine] = await waitFor(stuck.stdout, /\d+\n/, 10_000, 'psql');
  const pid = Number(pidLine.trim());
  const ended = new Promise((resolve) => stuck.on('exit', resolve));
  try {
    const row = page.locator(`table.sessions tr[data-pid="${pid}"]`);
    await row.waitFor({ timeout: 30_000 });
    assert.match(await row.textContent(), /idle in transaction/);
    await row.getByRole('button', { name: 'Terminate…' }).click();

    const dialog = page.getByRole('dialog');
    assert.match(await dialog.textContent(), new RegExp(`pg_terminate_backend\\(${pid}\\)`));
    assert.match(await dialog.textContent(), /e2e-stuck/);
    const send = dialog.getByRole('button', { name: `Terminate pid ${pid}` });
    await dialog.getByLabel('Reason').fill('e2e: a transaction left open');
    // A wrong name typed: nothing can be sent.
    await dialog.getByLabel('Environment name').fill('prod');
    assert.equal(await send.isDisabled(), true);
    await dialog.getByLabel('Environment name').fill('demo');
    await send.click();

    const answer = dialog.getByTestId('signal-answer');
    await answer.waitFor({ timeout: 15_000 });
    assert.match(await answer.textContent(), new RegExp(`terminated pid ${pid}`));
    // psql finds its connection ended at its next statement, and exits 2
    // ("the connection to the server went bad").
    stuck.stdin.write('SELECT 1;\n');
    const code = await Promise.race([
      ended,
      new Promise((_, reject) => setTimeout(() => reject(new Error('psql still connected')), 15_000)),
    ]);
    assert.equal(code, 2, 'psql lost its connection');
    assert.equal(
      psql(`SELECT count(*) FROM pg_stat_activity WHERE pid = ${pid}`).trim(),
      '0',
      'the backend is gone',
    );
    await page.screenshot({ path: 'artifacts/pools-terminate.png', fullPage: false });
    await dialog.getByRole('button', { name: 'Close' }).click();

    // The action's row under the view: who, what, why, and the answer.
    const logged = page.locator('table.audit tr', { hasText: `pid ${pid}` });
    await logged.waitFor({ timeout: 10_000 });
    const text = await logged.textContent();
    assert.match(text, /terminate_backend/);
    assert.match(text, /e2e: a transaction left open/);
    assert.match(text, /done/);
    assert.match(await page.getByTestId('audit-verdict').first().textContent(), /Chain intact: all 2 entries verified/);
    // Settings lists the whole log.
    await page.keyboard.press('6');
    const inSettings = page.locator('section[aria-label="Audit log"] table.audit tr', { hasText: `pid ${pid}` });
    await inSettings.waitFor({ timeout: 10_000 });
    assert.match(await inSettings.textContent(), /demo.*terminate_backend/s);
    await page.locator('section[aria-label="Audit log"]').screenshot({ path: 'artifacts/settings-audit.png' });
    assert.deepEqual(pageErrors, []);
  } finally {
    stuck.kill();
  }
});
