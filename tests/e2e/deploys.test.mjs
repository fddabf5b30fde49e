// The Deploys view in Chromium against `readyroom serve` on the demo. A
// `serve` started without --allow-actions shows the deployments but offers
// no rollback, says why, and its API refuses one. Under --allow-actions,
// after the drill deploys the bad release: the dialog runs the pre-flight,
// keeps "Roll back" disabled until a reason is given and the environment's
// name typed exactly, records a dry run (the audit log shows it), then
// rolls back, shows the verification and that production is healthy, and
// offers the undo. The provider's token appears nowhere on the page.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { launchChromium, spawnReadyroom, startServe, startTargets, stop, tempDir, waitFor } from './harness.mjs';

let targets, server, browser, page, dataDir;
const pageErrors = [];

before(async () => {
  dataDir = tempDir();
  targets = await startTargets(dataDir);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  stop(server?.serve, targets?.demo);
});

async function open(extra) {
  stop(server?.serve);
  server = await startServe(targets.config, dataDir, extra);
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(server.url);
  await page.locator('body').click();
  await page.keyboard.press('5');
  await page.getByTestId('deploys-sentence').waitFor();
}

function rpc(cmd, payload) {
  return fetch(`http://${server.address}/api/rpc`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}` },
    body: JSON.stringify({ cmd, payload }),
  });
}

const sentence = () => page.getByTestId('deploys-sentence').locator('p').first().innerText();

test('without --allow-actions the deployments show, no rollback is offered, and the API refuses one', async () => {
  await open([]);
  assert.match(await sentence(), /dpl_7c9 \(2\.14\.0, 3f9c2ab\) serves production; a rollback goes to dpl_7b4/);
  await page.locator('table.deployments tr[data-id="dpl_7d2"]').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Roll back…' }).isDisabled(), true);
  assert.match(await page.getByTestId('actions-why-not').innerText(), /started without --allow-actions/);
  assert.equal(await page.getByRole('button', { name: 'Roll back to this…' }).count(), 0);
  const refused = await rpc('trigger_rollback', {
    environment: 'demo',
    reason: 'try',
    confirm: 'demo',
    dryRun: true,
  });
  assert.equal(refused.status, 403);
  assert.equal((await refused.json()).code, 'actionsNotAllowed');
  await page.close();
});

test('under --allow-actions: the drill, a dry run, then a rollback verified healthy, with the audit log', async () => {
  const drill = spawnReadyroom(['demo', 'drill'], dataDir);
  await waitFor(drill.stderr, /Deployed the known-bad release/, 30_000, 'readyroom demo drill');
  await open(['--allow-actions']);
  assert.match(await sentence(), /dpl_7d2 \(2\.15\.0, e4d1c0f\) serves production; a rollback goes to dpl_7c9/);

  await page.getByRole('button', { name: 'Roll back…' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByTestId('preflight').waitFor();
  await dialog.getByText('✓ target').waitFor();
  assert.match(await dialog.getByTestId('plan').innerText(), /dpl_7d2 \(2\.15\.0, e4d1c0f\) → dpl_7c9 \(2\.14\.0, 3f9c2ab\)/);
  const rollBack = dialog.getByRole('button', { name: 'Roll back', exact: true });
  const dryRun = dialog.getByRole('button', { name: 'Dry run' });
  assert.equal(await rollBack.isDisabled(), true, 'nothing typed yet');
  await dialog.getByLabel('Reason').fill('2.15.0 saturates the pool');
  await dialog.getByLabel('Environment name').fill('Demo');
  assert.equal(await rollBack.isDisabled(), true, 'the name must be typed exactly');
  await dialog.getByLabel('Environment name').fill('demo');
  assert.equal(await rollBack.isDisabled(), false);

  await dryRun.click();
  const answer = dialog.getByTestId('rollback-answer');
  await answer.waitFor();
  assert.match(await answer.innerText(), /Dry run: the pre-flight passed .* nothing was sent/);
  await dialog.getByRole('button', { name: 'Close' }).click();
  await page.getByTestId('audit-log').getByText('dry run').waitFor();
  assert.match(await sentence(), /dpl_7d2 .* serves production/, 'a dry run sends nothing');

  await page.getByRole('button', { name: 'Roll back…' }).click();
  await dialog.getByText('✓ target').waitFor();
  await dialog.getByLabel('Reason').fill('2.15.0 saturates the pool');
  await dialog.getByLabel('Environment name').fill('demo');
  await dialog.getByRole('button', { name: 'Roll back', exact: true }).click();
  await answer.waitFor({ timeout: 150_000 });
  const said = await answer.innerText();
  assert.match(said, /Done: the demo provider made dpl_7c9 .* current \(HTTP 201\); production is healthy/);
  assert.match(await dialog.getByTestId('verification').innerText(), /healthy/);
  await page.screenshot({ path: 'artifacts/deploys-rollback.png', fullPage: true });
  await dialog.getByRole('button', { name: 'Close' }).click();

  await page.getByRole('button', { name: 'Undo last rollback…' }).waitFor();
  assert.match(await sentence(), /dpl_7c9 \(2\.14\.0, 3f9c2ab\) serves production/);
  const log = await page.getByTestId('audit-log').innerText();
  assert.match(log, /production is healthy/);
  assert.match(log, /Chain intact/);
  await page.screenshot({ path: 'artifacts/deploys.png', fullPage: true });

  const state = JSON.parse(readFileSync(join(dataDir, 'demo', 'state.json'), 'utf8'));
  assert.ok(state.providerToken?.length > 10 || state.provider_token?.length > 10, 'the state names the token');
  const token = state.providerToken ?? state.provider_token;
  assert.ok(!(await page.content()).includes(token), 'the token is not on the page');

  // Rolled back, the bad release is "ready" but not serving: the drill can
  // be run again (it deploys it again), and says so once it serves.
  const again = spawnReadyroom(['demo', 'drill'], dataDir);
  await waitFor(again.stderr, /Deployed the known-bad release dpl_7d2/, 30_000, 'a second drill');
  const third = spawnReadyroom(['demo', 'drill'], dataDir);
  await waitFor(third.stderr, /already deployed; the incident is running/, 30_000, 'a third drill');
  assert.deepEqual(pageErrors, []);
});
