// The UI in Chromium against `readyroom serve`, end to end: load, run the
// scorecard against a local target, read the score, open a check's
// evidence, switch environment, set a secret; and the API's guards.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { launchChromium, spawnReadyroom, startServe, startTargets, stop, tempDir } from './harness.mjs';

let targets, server, browser, page, dataDir;
const pageErrors = [];
// Anything the served Content-Security-Policy (no inline styles or
// scripts) blocks: the UI must run under it without a violation.
const cspViolations = [];

before(async () => {
  dataDir = tempDir();
  targets = await startTargets(dataDir);
  server = await startServe(targets.config, dataDir);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
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

test('loads the shell with environments and the five areas', async () => {
  await page.getByRole('button', { name: 'Run now' }).waitFor();
  const envs = await page.getByLabel('Environment').locator('option').allTextContents();
  assert.deepEqual(envs, ['demo', 'staging']);
  const nav = await page.getByRole('navigation', { name: 'Areas' }).innerText();
  for (const area of ['Scorecard', 'Traces', 'Pools', 'Quotas', 'Deploys', 'Settings']) assert.match(nav, new RegExp(area));
  assert.doesNotMatch(nav, /coming/, 'every area is built');
  assert.ok(!page.url().includes('token='), 'the token is dropped from the address bar');
});

test('runs the scorecard, shows score, grade, coverage and a check\'s evidence', async () => {
  await page.getByRole('button', { name: 'Run now' }).click();
  await page.getByRole('button', { name: 'Run now' }).waitFor({ state: 'visible' });
  await page.locator('[data-testid=score]').waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid=score] .big')?.textContent !== '');
  const score = Number(await page.locator('[data-testid=score] .big').textContent());
  assert.ok(score > 0 && score <= 100, `score ${score}`);
  assert.match(await page.locator('[data-testid=coverage]').innerText(), /coverage \d+(\.\d)? %/);
  assert.match(await page.locator('[data-testid=grade]').innerText(), /^[ABCDF]$/);
  await page.locator('[data-check="sec.tls"]').click();
  const evidence = await page.locator('.check.pass .evidence').first().innerText();
  assert.match(evidence, /Threshold\s+pass: TLS 1\.3/);
  assert.match(evidence, /Source\s+localhost:\d+/);
  // Unknown is visibly distinct from fail.
  const unknown = page.locator('.badge.unknown').first();
  const fail = await page.evaluate(() => {
    const probe = document.createElement('span');
    probe.className = 'badge fail';
    document.body.append(probe);
    const style = getComputedStyle(probe).borderStyle + getComputedStyle(probe).backgroundColor;
    probe.remove();
    return style;
  });
  const unknownStyle = await unknown.evaluate((el) => getComputedStyle(el).borderStyle + getComputedStyle(el).backgroundColor);
  assert.notEqual(unknownStyle, fail);
  // The trend chart is a plotters SVG.
  await page.locator('.trend img').waitFor();
  assert.match(await page.locator('.trend img').getAttribute('src'), /^data:image\/svg\+xml/);
  // The status bar reports freshness.
  assert.match(await page.locator('.statusbar').innerText(), /health updated \d+ s ago/);
});

test('a run stored by another Readyroom process shows up in this window', async () => {
  await page.locator('[data-testid=score]').waitFor();
  // The window reloads the scorecard when it hears of a new run; the run
  // comes from a separate `readyroom score` on the same store.
  const reloaded = page.waitForRequest(
    (r) => r.url().endsWith('/api/rpc') && (r.postData() ?? '').includes('"get_scorecard"'),
    { timeout: 60_000 },
  );
  const cli = spawnReadyroom(['--config', targets.config, 'score', '--env', 'demo'], dataDir);
  const code = await new Promise((r) => cli.once('exit', r));
  assert.equal(code, 0, 'readyroom score ran');
  const started = Date.now();
  await reloaded;
  // The run watcher polls once a second; the issue allows 5 s.
  assert.ok(Date.now() - started < 5_000, `seen after ${Date.now() - started} ms`);
});

test('switching environment shows that environment and its failures', async () => {
  await page.getByLabel('Environment').selectOption('staging');
  await page.getByText('No scorecard yet for this environment.').waitFor();
  await page.getByRole('button', { name: 'Run now' }).click();
  const health = page.locator('li.check').filter({ has: page.locator('[data-check="infra.health_endpoint"]') });
  await health.locator('.badge.fail').waitFor({ timeout: 30_000 });
  await page.locator('[data-check="infra.health_endpoint"]').click();
  assert.match(await health.locator('.evidence').innerText(), /HTTP 404/);
});

test('sets a secret into the keychain without ever showing it', async () => {
  const value = `postgres://e2e:pw-${Date.now()}@127.0.0.1:1/nothing`;
  await page.getByRole('link', { name: /Settings/ }).click();
  const row = page.locator(`tr[data-secret="${targets.secretName}"]`);
  await row.waitFor();
  assert.match(await row.innerText(), /not set/);
  // The form offers the first secret still missing (the demo's are set).
  assert.equal(await page.getByLabel('Secret name').inputValue(), targets.secretName);
  await page.getByLabel('Secret name').selectOption(targets.secretName);
  await page.getByLabel('Secret value').fill(value);
  await page.getByRole('button', { name: 'Store in keychain' }).click();
  await page.getByRole('status').filter({ hasText: 'Stored secret' }).waitFor();
  await row.filter({ hasText: 'set (keychain)' }).waitFor();
  assert.equal(await page.getByLabel('Secret value').inputValue(), '', 'the field is cleared');
  assert.ok(!(await page.content()).includes(value), 'the value is nowhere in the page');
  const listed = await rpc('list_secrets', {});
  assert.ok(!JSON.stringify(listed.body).includes(value), 'the API never returns it');
});

test('keyboard: number keys switch areas, t toggles the theme', async () => {
  await page.locator('body').click();
  await page.keyboard.press('2');
  // Exact: the empty state's heading ("No traces from … yet") holds the word too.
  await page.getByRole('heading', { name: 'Traces', exact: true }).waitFor();
  await page.keyboard.press('1');
  await page.getByRole('button', { name: 'Run now' }).waitFor();
  const before = await page.evaluate(() => document.documentElement.dataset.theme);
  await page.keyboard.press('t');
  // Effects run after the next frame: wait for the change rather than race it.
  await page.waitForFunction((b) => document.documentElement.dataset.theme !== b, before, { timeout: 5_000 });
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(cspViolations, []);
});

/** A raw HTTP request, so tests can set Host and Origin as an attacker would. */
function request(path, { method = 'POST', headers = {}, body } = {}) {
  const [host, port] = server.address.split(':');
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, path, method, headers }, (res) => {
      let data = '';
      res.on('data', (c) => (data += c));
      res.on('end', () => {
        let parsed = null;
        try {
          parsed = JSON.parse(data);
        } catch {}
        resolve({ status: res.statusCode, type: res.headers['content-type'], body: parsed });
      });
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

function rpc(cmd, payload, headers = {}) {
  return request('/api/rpc', {
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}`, ...headers },
    body: JSON.stringify({ cmd, payload }),
  });
}

test('the API refuses calls without the token, from foreign origins and foreign hosts', async () => {
  const ok = await rpc('get_app_info', {});
  assert.equal(ok.status, 200);
  const noToken = await request('/api/rpc', { headers: { 'content-type': 'application/json' }, body: '{"cmd":"get_app_info","payload":{}}' });
  assert.equal(noToken.status, 401);
  assert.equal(noToken.type, 'application/problem+json');
  assert.equal(noToken.body.code, 'tokenRequired');
  const wrongToken = await rpc('get_app_info', {}, { authorization: 'Bearer 00' });
  assert.equal(wrongToken.status, 401);
  const foreignOrigin = await rpc('get_app_info', {}, { origin: 'https://evil.example' });
  assert.equal(foreignOrigin.status, 403);
  assert.equal(foreignOrigin.body.code, 'foreignOrigin');
  const rebinding = await rpc('get_app_info', {}, { host: `attacker.example:${server.address.split(':')[1]}` });
  assert.equal(rebinding.status, 403);
  assert.equal(rebinding.body.code, 'foreignHost');
  const events = await request(`/api/events`, { method: 'GET' });
  assert.equal(events.status, 401, 'the event stream needs the token too');
  const bad = await rpc('get_scorecard', { environment: 'nope' });
  assert.equal(bad.status, 404);
  assert.equal(bad.body.code, 'unknownEnvironment');
  assert.deepEqual(Object.keys(bad.body).sort(), ['code', 'detail', 'status', 'title', 'type']);
});

test('a page on another origin cannot drive the API from the browser, even holding the token', async () => {
  // The page sends a simple (no-preflight) request that carries a valid
  // token. What matters is the side effect, not whether the browser lets
  // the page read the answer: count the stored runs. Several layers refuse
  // it (the Origin guard; /api/rpc taking only application/json, which a
  // cross-origin page cannot send without a preflight the server never
  // grants). The Origin guard alone is proven by the Node request above and
  // by crates/server/tests/guards.rs, both with a valid token.
  const runs = async () => (await rpc('list_history', { environment: 'demo' })).body.runs.length;
  const before = await runs();
  // The hostile page is served from loopback too (another port), so the
  // browser's own local-network protections do not stop it first.
  const hostile = http.createServer((_, res) => res.end('<!doctype html><title>elsewhere</title>'));
  await new Promise((r) => hostile.listen(0, '127.0.0.1', r));
  const other = await browser.newPage();
  await other.goto(`http://127.0.0.1:${hostile.address().port}/`);
  await other.evaluate(async ([address, token]) => {
    await fetch(`http://${address}/api/rpc?token=${token}`, {
      method: 'POST',
      mode: 'no-cors',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ cmd: 'run_scorecard', payload: { environment: 'demo' } }),
    }).catch(() => {});
  }, [server.address, server.token]);
  await other.close();
  hostile.close();
  // A run takes a few seconds against the demo; give one time to land.
  await new Promise((r) => setTimeout(r, 4_000));
  assert.equal(await runs(), before, 'no run was started by the foreign page');
});
