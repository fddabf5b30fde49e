// The Traces view in Chromium against `readyroom serve`: a trace of known
// shape sent to the demo's OTLP receiver is listed, filtered, opened; its
// critical path, errors, search and collapse work from the keyboard; and
// screenshots are kept in light and dark (tests/e2e/artifacts/).
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { launchChromium, startServe, startTargets, stop, tempDir } from './harness.mjs';
import { checkout, newTraceId, otlpJson, send, spanIdOf } from './otlp.mjs';

let targets, server, browser, page;
const pageErrors = [];
const cspViolations = [];
const traceId = newTraceId();
const artifacts = new URL('./artifacts/', import.meta.url).pathname;

before(async () => {
  const dataDir = tempDir();
  targets = await startTargets(dataDir);
  server = await startServe(targets.config, dataDir);
  // The demo receives OTLP itself on the ports its config names.
  const http = /\[settings\.otlp\][^[]*?http = "([^"]+)"/.exec(readFileSync(targets.config, 'utf8'));
  assert.ok(http, 'the demo config names its OTLP/HTTP receiver');
  await send(`http://${http[1]}`, otlpJson(traceId, 'demo', Date.now() - 5_000, checkout()));
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
  await page.screenshot({ path: `${artifacts}traces-list-${await theme()}.png` });
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
  await page.locator('[data-testid=match-count]').filter({ hasText: /^2 matches$/ }).waitFor();
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

test('screenshots in both themes, without page errors', async () => {
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
  await page.screenshot({ path: `${artifacts}trace-waterfall-${await theme()}.png` });
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(cspViolations, []);
});
