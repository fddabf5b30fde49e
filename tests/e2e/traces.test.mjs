// The Traces view in Chromium against `readyroom serve`: a trace of known
// shape sent to the demo's OTLP receiver is listed, filtered, opened; its
// critical path, errors, search and collapse work from the keyboard; and
// screenshots are kept in light and dark (tests/e2e/artifacts/).
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { launchChromium, startServe, startTargets, stop, tempDir } from './harness.mjs';
import { checkout, newTraceId, otlpJson, send, spanIdOf } from './otlp.mjs';

let targets, server, browser, page, dataDir;
const pageErrors = [];
const cspViolations = [];
const traceId = newTraceId();
// The same checkout, its payment slower: the trace compared with the first.
const slowerId = newTraceId();
const artifacts = new URL('./artifacts/', import.meta.url).pathname;

/** Where serve's own OTLP/HTTP receiver listens (it takes free ports here). */
async function serveReceiver() {
  for (let i = 0; i < 100; i++) {
    const r = await fetch(`http://${server.address}/api/rpc`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}` },
      body: JSON.stringify({ cmd: 'get_receiver_status', payload: {} }),
    });
    const status = await r.json();
    const http = status.listening?.find((l) => l.protocol === 'OTLP/HTTP');
    if (http) return `http://${http.address}`;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('serve\'s OTLP receiver did not start');
}

let receiver;

before(async () => {
  dataDir = tempDir();
  targets = await startTargets(dataDir);
  // The demo's config names the ports its own receiver holds; serve gets
  // free ones, so the spans sent here arrive through serve and announce
  // themselves to the page (both store into the same span store).
  const config = join(dataDir, 'traces-e2e.toml');
  writeFileSync(
    config,
    readFileSync(targets.config, 'utf8').replace(/(\[settings\.otlp\]\s*\nhttp = )"[^"]+"(\s*\ngrpc = )"[^"]+"/, '$1"127.0.0.1:0"$2"127.0.0.1:0"'),
  );
  server = await startServe(config, dataDir);
  receiver = await serveReceiver();
  await send(receiver, otlpJson(traceId, 'demo', Date.now() - 5_000, checkout()));
  await send(receiver, otlpJson(slowerId, 'demo', Date.now() - 20_000, checkout({ slowPayments: true })));
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  await page.goto(server.url);
  mkdirSync(artifacts, { recursive: true });
});

after(async () => {
  await browser?.close();
  stop(server?.serve, targets?.demo);
});

const theme = () => page.evaluate(() => document.documentElement.dataset.theme);
const waterfall = () => page.locator('[data-testid=waterfall]');
const selectedSpan = () => waterfall().getAttribute('data-selected');

test('the list filters by service and keeps the filters in the URL', async () => {
  await page.getByRole('link', { name: /Traces/ }).click();
  const row = page.locator(`tr[data-trace="${traceId}"]`);
  await row.waitFor({ timeout: 30_000 });
  await page.getByLabel('Service').fill('checkout');
  await page.waitForFunction(() => window.location.hash.includes('service=checkout'));
  await page.waitForFunction(
    () => [...document.querySelectorAll('table.traces tbody tr td:nth-child(2)')].every((td) => td.textContent === 'checkout'),
  );
  await row.waitFor();
  await page.getByLabel('Status').selectOption('error');
  await page.waitForFunction(() => window.location.hash.includes('status=error'));
  await row.waitFor();
  await page.getByLabel('Service').fill('no-such-service');
  await page.locator('[data-testid=no-traces]').filter({ hasText: 'No trace matches these filters' }).waitFor();
  // A linked URL restores the filters.
  await page.goto(`${server.url.split('#')[0]}#/traces?service=checkout&attr=card.last4%3D4242`);
  assert.equal(await page.getByLabel('Service').inputValue(), 'checkout');
  assert.equal(await page.getByLabel('Attribute').inputValue(), 'card.last4=4242');
  await row.waitFor();
  // An explicit window, prefilled with the one shown, kept in the URL.
  await page.getByLabel('Time').selectOption('range');
  await page.waitForFunction(() => /[?&]from=/.test(window.location.hash) && /[?&]to=/.test(window.location.hash));
  assert.match(await page.getByLabel('From', { exact: true }).inputValue(), /^\d{4}-\d\d-\d\dT\d\d:\d\d$/);
  await row.waitFor();
  await page.screenshot({ path: `${artifacts}traces-list-${await theme()}.png` });
});

test('new traces appear live; with the pointer on the list they wait behind a pill', async () => {
  await page.goto(`${server.url.split('#')[0]}#/traces?service=checkout`);
  await page.locator(`tr[data-trace="${traceId}"]`).waitFor();
  await page.mouse.move(5, 5);
  const live = newTraceId();
  await send(receiver, otlpJson(live, 'demo', Date.now() - 1_000, checkout()));
  await page.locator(`tr[data-trace="${live}"]`).waitFor({ timeout: 15_000 });
  // The pointer on the list: nothing moves under it; a pill says what came.
  await page.locator('table.traces tbody tr').first().hover();
  const waiting = newTraceId();
  await send(receiver, otlpJson(waiting, 'demo', Date.now() - 500, checkout()));
  const pill = page.getByRole('button', { name: /new spans? arrived — show/ });
  await pill.waitFor({ timeout: 15_000 });
  assert.equal(await page.locator(`tr[data-trace="${waiting}"]`).count(), 0, 'not inserted under the pointer');
  await pill.click();
  await page.locator(`tr[data-trace="${waiting}"]`).waitFor();
  await page.goto(`${server.url.split('#')[0]}#/traces?service=checkout`);
  await page.locator(`tr[data-trace="${traceId}"]`).waitFor();
});

test('opens a trace as a waterfall with its critical path', async () => {
  await page.locator(`tr[data-trace="${traceId}"] a`).click();
  await page.locator('.wf-canvas[data-painted="1"]').waitFor();
  assert.equal(await waterfall().getAttribute('data-rows'), '8');
  assert.match(page.url(), new RegExp(`trace=${traceId}`));
  const critical = await page.locator('[data-testid=critical-summary]').innerText();
  assert.match(critical, /Critical path: \d+ spans/);
  // Following the heaviest part of the critical path selects it and shows its share.
  await page.locator('[data-testid=critical-summary] a').first().click();
  await page.locator('[data-testid=span-panel]').waitFor();
  assert.notEqual(await page.locator('[data-testid=span-critical]').innerText(), 'not on it');
  await page.keyboard.press('c');
  assert.equal(await waterfall().getAttribute('data-critical'), '1');
});

test('jumps between errors and shows the exception stack trace', async () => {
  await page.locator('.wf-scroll').focus();
  await page.keyboard.press('Home');
  await page.keyboard.press('e');
  assert.equal(await selectedSpan(), spanIdOf('pay1'));
  await page.locator('pre.stack').filter({ hasText: 'at charge (payments.js:42)' }).waitFor();
  assert.match(await page.locator('[data-testid=span-panel]').innerText(), /card processor timed out/);
  await page.keyboard.press('e');
  assert.equal(await selectedSpan(), spanIdOf('llm1'));
  await page.keyboard.press('E');
  assert.equal(await selectedSpan(), spanIdOf('pay1'));
  assert.match(await page.locator('[data-testid=error-count]').innerText(), /1 of 2 errors/);
});

test('searches names and attributes, next and previous match', async () => {
  await page.keyboard.press('/');
  await page.keyboard.type('charge card');
  await page.locator('[data-testid=match-count]').filter({ hasText: /^(2 matches|\d of 2)$/ }).waitFor();
  await page.keyboard.press('Enter');
  assert.equal(await selectedSpan(), spanIdOf('pay2'));
  await page.keyboard.press('Enter');
  assert.equal(await selectedSpan(), spanIdOf('pay1'));
  // An attribute only the backend holds: the database span.
  await page.getByLabel('Search spans').fill('db.system=postgresql');
  await page.locator('[data-testid=match-count]').filter({ hasText: /^1 match$/ }).waitFor();
  await page.keyboard.press('Enter');
  assert.equal(await selectedSpan(), spanIdOf('db'));
});

test('collapses and expands a subtree from the keyboard', async () => {
  await page.locator('.wf-scroll').focus();
  await page.keyboard.press('Home');
  assert.equal(await selectedSpan(), spanIdOf('root'));
  await page.keyboard.press('ArrowLeft');
  assert.equal(await waterfall().getAttribute('data-rows'), '1');
  await page.keyboard.press('ArrowRight');
  assert.equal(await waterfall().getAttribute('data-rows'), '8');
  // Zoom to a span and back.
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('z');
  assert.equal(await waterfall().getAttribute('data-zoomed'), '1');
  await page.keyboard.press('0');
  assert.equal(await waterfall().getAttribute('data-zoomed'), '0');
});

test('the LLM lens collapses the retried AI call into one call with its attempts, wait and tokens', async () => {
  await page.getByRole('tab', { name: 'LLM calls (1)' }).click();
  const lens = page.locator('[data-testid=llm-lens]');
  await lens.waitFor();
  const text = await lens.innerText();
  assert.match(text, /1 call, 2 attempts \(1 retry\)/);
  assert.match(text, /tokens 420 in, 96 out/);
  assert.match(text, /attempt 1:\s*rate limited \(429\)/);
  assert.match(text, /waited 100\.0 ms \(Retry-After asked 0\.1 s\)/);
  assert.match(text, /attempt 2:\s*ok after 180\.0 ms — final/);
  await page.screenshot({ path: `${artifacts}trace-llm-lens-${await theme()}.png` });
  // An attempt opens in the waterfall.
  await lens.getByRole('link', { name: 'attempt 1' }).click();
  await page.locator('.wf-canvas[data-painted="1"]').waitFor();
  assert.equal(await selectedSpan(), spanIdOf('llm1'));
});

test('compares two traces of one operation: matched spans aligned, the slower payment coloured', async () => {
  await page.getByRole('tab', { name: 'Compare' }).click();
  await page.locator(`[data-candidate="${slowerId}"]`).click();
  const comparison = page.locator('[data-testid=comparison]');
  await comparison.waitFor();
  assert.match(page.url(), new RegExp(`compare=${slowerId}`));
  assert.match(await page.locator('[data-testid=comparison-counts]').innerText(), /^8 matched · 0 missing in B · 0 extra in B/);
  // The second charge took 300 ms longer: marked slower, strongly.
  const slower = comparison.locator('tr.slower[data-weight=strong]');
  assert.ok((await slower.count()) >= 2, 'the charge and its INSERT are slower');
  assert.match(await slower.first().innerText(), /\+300\.0 ms/);
  await page.screenshot({ path: `${artifacts}trace-compare-${await theme()}.png` });
});

test('the overview shows rates, errors and percentiles per route and clicks through to failing traces', async () => {
  await page.goto(`${server.url.split('#')[0]}#/traces?tab=overview`);
  const row = page.locator('tr[data-route="checkout /api/checkout"]');
  await row.waitFor({ timeout: 30_000 });
  const cells = await row.locator('td').allInnerTexts();
  assert.equal(cells[2], '4', 'four checkout requests were sent');
  assert.match(cells[4], /%/);
  await page.screenshot({ path: `${artifacts}traces-overview-${await theme()}.png` });
  await row.getByRole('button', { name: 'Slowest' }).click();
  await page.waitForFunction(() => /sort=duration/.test(window.location.hash) && /route=%2Fapi%2Fcheckout/.test(window.location.hash));
  // Slowest first: the slower checkout heads the list.
  await page.locator(`table.traces tbody tr:first-child[data-trace="${slowerId}"]`).waitFor();
});

test('opens an OTLP/JSON file read-only in the same view', async () => {
  const fileTrace = newTraceId();
  const path = join(dataDir, 'shared-trace.json');
  writeFileSync(path, JSON.stringify(otlpJson(fileTrace, 'elsewhere', Date.now() - 60_000, checkout())));
  await page.locator('[data-testid=trace-file]').setInputFiles(path);
  await page.locator('.wf-canvas[data-painted="1"]').waitFor();
  assert.match(await page.locator('.trace-head').innerText(), /read-only · opened from shared-trace\.json/i);
  assert.match(page.url(), new RegExp(`trace=${fileTrace}`));
  await page.locator('.wf-scroll').focus();
  await page.keyboard.press('e');
  await page.locator('pre.stack').filter({ hasText: 'at charge (payments.js:42)' }).waitFor();
  // Not stored: the list does not have it.
  const listed = await page.evaluate(async (id) => {
    const token = sessionStorage.getItem('readyroom.token');
    const r = await fetch('/api/rpc', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ cmd: 'get_trace_columns', payload: { traceId: id } }) });
    return r.status;
  }, fileTrace);
  assert.equal(listed, 404);
  // A file that is not a trace says so.
  const bad = join(dataDir, 'not-a-trace.json');
  writeFileSync(bad, '{"hello": "world"}');
  await page.getByRole('link', { name: '← Traces' }).click();
  await page.locator('[data-testid=trace-file]').setInputFiles(bad);
  assert.match(await page.getByRole('alert').innerText(), /not-a-trace\.json.*(OTLP|span)/);
});

test('screenshots in both themes, without page errors', async () => {
  await page.goto(`${server.url.split('#')[0]}#/traces?trace=${traceId}`);
  await page.locator('.wf-canvas[data-painted="1"]').waitFor();
  await page.locator('.wf-scroll').focus();
  await page.keyboard.press('e');
  await page.locator('pre.stack').waitFor();
  const first = await theme();
  await page.screenshot({ path: `${artifacts}trace-waterfall-${first}.png` });
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('t');
  await page.waitForFunction((before) => document.documentElement.dataset.theme !== before, first);
  // The canvas takes the new colours on the next frame.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const second = await theme();
  await page.screenshot({ path: `${artifacts}trace-waterfall-${second}.png` });
  // The other views in this theme too (the earlier tests took the first).
  const base = server.url.split('#')[0];
  await page.getByRole('tab', { name: 'LLM calls (1)' }).click();
  await page.locator('[data-testid=llm-lens]').waitFor();
  await page.screenshot({ path: `${artifacts}trace-llm-lens-${second}.png` });
  await page.goto(`${base}#/traces?trace=${traceId}&compare=${slowerId}`);
  await page.locator('[data-testid=comparison]').waitFor();
  await page.screenshot({ path: `${artifacts}trace-compare-${second}.png` });
  await page.goto(`${base}#/traces?tab=overview`);
  await page.locator('[data-testid=route-stats]').waitFor();
  await page.screenshot({ path: `${artifacts}traces-overview-${second}.png` });
  await page.goto(`${base}#/traces?service=checkout`);
  await page.locator(`tr[data-trace="${traceId}"]`).waitFor();
  await page.screenshot({ path: `${artifacts}traces-list-${second}.png` });
  assert.equal(await theme(), second, 'the theme is kept across pages');
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(cspViolations, []);
});
