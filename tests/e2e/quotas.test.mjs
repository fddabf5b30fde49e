// The Quotas view in Chromium against `readyroom serve` on the demo, whose
// traffic has one free workspace (Vandelay, 10 requests a minute) asking
// for twice its limit: it shows near its limit at 100 % and throttled,
// in the lists, the tiers and the heatmap; the lists sort by a column; a
// tier filters them; an environment without a quota source says how to
// add one; AI cost per tier at the stated default price, and the top
// spenders; and when the usage endpoint dies, the last good reading stays
// under "Failing since". Screenshots in both themes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { launchChromium, startServe, startTargets, stop, tempDir } from './harness.mjs';

let targets, server, browser, page, dataDir;
const pageErrors = [];
const cspViolations = [];

before(async () => {
  dataDir = tempDir();
  targets = await startTargets(dataDir);
  // The quota sampler every 2 s (5 min by default), so the trend fills
  // while the test runs.
  const config = join(dataDir, 'quotas.toml');
  writeFileSync(config, `${readFileSync(targets.config, 'utf8')}\n[settings.quota]\nevery_ms = 2000\n`);
  server = await startServe(config, dataDir);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
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

const sentence = () => page.locator('.quotas-view .saturation .sentence');
const tab = (name) => page.getByRole('tab', { name: new RegExp(`^${name}`) });
/** The percentages a column shows, top to bottom. */
const column = (n) =>
  page.$$eval(`table.quota-list tbody tr td:nth-child(${n}) b`, (cells) => cells.map((c) => c.textContent.trim()));
/** Read again until `check` holds (the demo's minute window turns over). */
async function readUntil(check, what, ms = 120_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await page.waitForTimeout(2_000);
    const button = page.getByRole('button', { name: 'Read now' });
    if (await button.isEnabled()) await button.click();
  }
}

test('Vandelay, pushing past its free plan, shows near its limit at 100 % and throttled', async () => {
  await page.locator('body').click();
  await page.keyboard.press('4');
  await sentence().waitFor();
  await page.getByRole('heading', { name: 'Tiers' }).waitFor();
  // The demo's four tiers, each with its plan from PRODUCT.md's table.
  for (const tier of ['free', 'starter', 'professional', 'enterprise'])
    await page.locator(`table.quota-tiers tr[data-tier="${tier}"]`).waitFor();
  assert.match(
    await page.locator('table.quota-tiers tr[data-tier="free"] td[data-limit="requests_per_minute"]').textContent(),
    /limit 10 each/,
  );
  assert.match(await page.locator('table.quota-tiers tr[data-tier="free"]').textContent(), /default plan/);

  // 20 requests a minute against 10: from the middle of each minute on,
  // at 10 of 10 (the app counts only what it served) and answered 429.
  await readUntil(async () => {
    await tab('Near a limit').click();
    const row = page.locator('table.quota-list[data-list="near"] tr[data-workspace="ws_vandelay"]');
    return (await row.count()) > 0 && /10 of 10\s*100 %/.test(await row.locator('td').nth(3).innerText().then((t) => t.replace(/\n/g, ' ')));
  }, 'Vandelay at 10 of 10 requests this minute');
  assert.match(await sentence().textContent(), /near a limit/);

  // Its first 429 may come after the reading that saw it reach the limit:
  // read again until the throttled list names it.
  const throttled = page.locator('table.quota-list[data-list="throttled"] tr[data-workspace="ws_vandelay"]');
  await readUntil(async () => {
    await tab('Throttled today').click();
    return (await throttled.count()) > 0;
  }, 'Vandelay in the throttled list');
  const n = Number((await throttled.locator('td').nth(8).textContent()).replace(/\D/g, ''));
  assert.ok(n > 0, `Vandelay's 429s today: ${n}`);
  assert.match(await sentence().textContent(), /throttled today/);
  // The free tier counts them too.
  const freeThrottled = Number(
    (await page.locator('table.quota-tiers tr[data-tier="free"] td').last().textContent()).replace(/\D/g, ''),
  );
  assert.ok(freeThrottled >= n, `free tier's 429s (${freeThrottled}) hold Vandelay's (${n})`);

  // AI cost today: the demo configures no prices, so the default is
  // stated; the total is the tiers' sum.
  const costs = await page.$$eval('table.ai-cost tbody tr td:last-child', (tds) => tds.map((td) => td.textContent.trim()));
  assert.equal(costs.length, 4);
  const sum = costs.reduce((a, c) => a + Number(c.split(' ')[0]), 0);
  const total = Number((await page.locator('table.ai-cost [data-total]').textContent()).split(' ')[0]);
  assert.ok(Math.abs(sum - total) < 0.0002 * costs.length, `${costs} sum to ${total}`);
  assert.match(await page.locator('[data-default-prices]').textContent(), /every tier as model default at 1\.00 USD per\s+million tokens/);
  // The top spenders: the AI route's callers, the costliest first.
  // (The demo's AI route takes 4 % of its traffic: wait for a call.)
  await readUntil(async () => {
    await tab('Top AI spenders').click();
    return (await page.locator('table.quota-list[data-list="spenders"] tbody tr').count()) > 0;
  }, 'an AI call');
  const spent = await page.$$eval('table.quota-list[data-list="spenders"] tbody tr td:nth-child(10)', (tds) =>
    tds.map((td) => Number(td.textContent.split(' ')[0])),
  );
  assert.ok(spent.length > 0 && spent.every((c) => c > 0), `${spent}`);
  assert.deepEqual(spent, [...spent].sort((a, b) => b - a));

  // The heatmap: Vandelay's requests today against the day's limit.
  const cell = page.locator('table.heatmap tr[data-workspace="ws_vandelay"] td').nth(2);
  await cell.waitFor();
  assert.match(await cell.getAttribute('title'), /^Vandelay Industries, requests\/day: \d+ of 1,000 \(\d+ %\)$/);
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(cspViolations, []);
});

test('the lists sort by a column, and a tier filters them', async () => {
  // Every one of the demo's eight workspaces, once the traffic has reached
  // the quietest of them (it picks workspaces at random).
  const listed = () => page.locator('table.quota-list[data-list="any"] tbody tr').count();
  await readUntil(async () => {
    await tab('Every workspace').click();
    return (await listed()) >= 8;
  }, "the demo's eight workspaces in the list");
  // Sort by name: ascending, then descending.
  const names = () =>
    page.$$eval('table.quota-list[data-list="any"] tbody tr td:first-child b', (bs) => bs.map((b) => b.textContent.trim().toLowerCase()));
  await page.getByRole('button', { name: /^workspace/ }).click();
  const up = await names();
  assert.deepEqual(up, [...up].sort());
  await page.getByRole('button', { name: /^workspace/ }).click();
  const down = await names();
  assert.deepEqual(down, [...up].sort().reverse());
  assert.equal(await page.locator('th[aria-sort="descending"]').count(), 1);
  // Worst share: the heaviest first.
  await page.getByRole('button', { name: /^worst/ }).click();
  const worst = (await column(3)).map((t) => (t === '—' ? -1 : Number(t.replace(/\D/g, ''))));
  assert.deepEqual(worst, [...worst].sort((a, b) => b - a));

  // A tier from the tiers table: the lists hold only its workspaces.
  await page.locator('table.quota-tiers tr[data-tier="enterprise"] button.link').click();
  await page.getByRole('button', { name: 'tier enterprise ✕' }).waitFor();
  await page.waitForFunction(() => {
    const tiers = [...document.querySelectorAll('table.quota-list tbody tr td:nth-child(2)')].map((td) => td.textContent.trim());
    return tiers.length > 0 && tiers.every((t) => t === 'enterprise');
  });
  assert.match(page.url(), /#\/quotas\?list=any&tier=enterprise/);
  await page.getByRole('button', { name: 'tier enterprise ✕' }).click();
  await page.locator('table.quota-list tbody tr td:nth-child(2)', { hasText: 'free' }).first().waitFor();

  await tab('Near a limit').click();
  for (const theme of ['dark', 'light']) {
    await page.evaluate((t) => (document.documentElement.dataset.theme = t), theme);
    await page.screenshot({ path: `artifacts/quotas-${theme}.png`, fullPage: true });
  }
  assert.deepEqual(pageErrors, []);
});

test("the trend from the sampler's snapshots names Vandelay, throttled on every day sampled", async () => {
  await page.getByRole('heading', { name: 'Throttled over the last days' }).waitFor();
  const row = page.locator('table.quota-trend tr[data-workspace="ws_vandelay"]');
  await readUntil(async () => (await row.count()) > 0, 'Vandelay in the trend');
  assert.match(await row.textContent(), /every day/);
  // Seven days, today last and sampled; Vandelay's 429s today in its cell.
  const days = await page.$$eval('table.quota-trend thead th.day', (ths) => ths.map((th) => th.getAttribute('title')));
  assert.equal(days.length, 7);
  assert.equal(days[6], new Date().toISOString().slice(0, 10));
  const today = Number((await row.locator('td.day').last().textContent()).replace(/\D/g, ''));
  assert.ok(today > 0, `Vandelay's 429s today: ${today}`);
  await page.locator('table.quota-trend').screenshot({ path: 'artifacts/quotas-trend.png' });
  assert.match(await page.locator('[data-trend-meta]').textContent(), /Sampled on 1 of the last 7 days \(UTC\): \d+ snapshots, 0 failed\. The sampler reads every/);
  assert.deepEqual(pageErrors, []);
});

test("the usage endpoint's token comes from the keychain and is shown nowhere", async () => {
  // The demo stored its token in the keychain; its config names the entry.
  const token = execFileSync('secret-tool', ['lookup', 'service', 'readyroom', 'username', 'demo/usage-token']).toString();
  assert.match(token, /^demo_usage_[0-9a-f]{32}$/);
  const config = readFileSync(targets.config, 'utf8');
  assert.match(config, /token_secret = "demo\/usage-token"/);
  // Without it the endpoint refuses (so the readings above used it).
  const base = /base_url = "([^"]+)"/.exec(config)[1];
  const ca = readFileSync(/ca_file = "([^"]+)"/.exec(config)[1]);
  const status = (headers) =>
    new Promise((resolve, reject) =>
      https
        .get(`${base}api/usage`, { ca, headers }, (r) => {
          r.resume();
          resolve(r.statusCode);
        })
        .on('error', reject),
    );
  assert.equal(await status({}), 401);
  assert.equal(await status({ authorization: `Bearer ${token}` }), 200);
  assert.ok(!config.includes(token), 'not in the config');
  assert.ok(!(await page.content()).includes(token), 'not in the page');
  const api = await fetch(`${server.url.split('#')[0]}api/rpc`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}` },
    body: JSON.stringify({ cmd: 'get_quota', payload: {} }),
  });
  assert.equal(api.status, 200);
  assert.ok(!(await api.text()).includes(token), 'not in the API');
});

test('an environment without a quota source says how to add one', async () => {
  await page.getByLabel('Environment').selectOption('staging');
  const said = page.getByText('Not configured for staging: add [environments.staging.quota] with source = "postgres" (the quota');
  await said.waitFor();
  assert.match(await said.textContent(), /or source = "http" and usage_url\.\s+The README/);
  await page.getByLabel('Environment').selectOption('demo');
  await page.getByRole('heading', { name: 'Tiers' }).waitFor();
});

test('when the usage endpoint dies, the last good reading stays under "Failing since"', async () => {
  stop(targets.demo);
  await new Promise((resolve) => (targets.demo.exitCode !== null ? resolve() : targets.demo.on('exit', resolve)));
  await page.getByRole('button', { name: 'Read now' }).click();
  const problem = page.locator('.quotas-view .source-problem');
  await problem.waitFor({ timeout: 60_000 });
  assert.match(await problem.textContent(), /Failing since .*api\/usage/);
  assert.match(await problem.textContent(), /The last good reading, from .*, is shown below/);
  // Still shown: the tiers and the lists as last read.
  await page.locator('table.quota-tiers tr[data-tier="free"]').waitFor();
  assert.match(await page.locator('.quotas-view .pools-meta .muted').textContent(), /read at /);
  await page.screenshot({ path: 'artifacts/quotas-failing.png', fullPage: true });
  assert.deepEqual(pageErrors, []);
});
