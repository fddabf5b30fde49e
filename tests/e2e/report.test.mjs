// The weekly review from a known history, in Chromium: three real
// scorecard runs of a local target (healthy, then failing, then healthy)
// with a database secret set; `readyroom report` gives the history's first
// and last scores, the page renders (screenshot kept), the Nu HTML Checker
// finds no error, every number's provenance link resolves in the page, and
// the secret's value is in neither file. The same review in the app's
// Scorecard view: the same numbers, Save writes both files, Print shows
// the review alone.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { launchChromium, spawnReadyroom, startServe, stop, tempDir } from './harness.mjs';

const require = createRequire(import.meta.url);
let app, healthy = true, dataDir, config, history;
const marker = `SWEEP${Date.now()}`;

function readyroom(args, input) {
  return new Promise((resolve) => {
    const p = spawnReadyroom(args, dataDir, input === undefined ? 'ignore' : 'pipe');
    if (input !== undefined) p.stdin.end(input);
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', (code) => resolve({ code, out, err }));
  });
}

before(async () => {
  dataDir = tempDir();
  app = http.createServer((req, res) => {
    res.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: healthy ? 'ok' : 'down' }));
  });
  await new Promise((resolve) => app.listen(0, '127.0.0.1', resolve));
  config = join(dataDir, 'config.toml');
  writeFileSync(
    config,
    `[environments.prod]
health_urls = ["http://127.0.0.1:${app.address().port}/health"]

[environments.prod.postgres]
url_secret = "prod/database-url"
`,
  );
});

after(() => {
  app?.close();
});

test('the review of a known history: the store\'s numbers, valid HTML, every provenance link resolves, no secret', async () => {
  // A real value for the secret, in the keychain: the database it names
  // refuses, and its password must go nowhere.
  const stored = await readyroom(['--config', config, 'secret', 'set', 'prod/database-url'], `postgres://readyroom:${marker}@127.0.0.1:1/app`);
  assert.equal(stored.code, 0, stored.err);
  for (const state of [true, false, true]) {
    healthy = state;
    const run = await readyroom(['--config', config, 'score', '--env', 'prod', '--format', 'json']);
    assert.ok(run.code === 0, `score: ${run.err}`);
  }
  history = JSON.parse((await readyroom(['--config', config, 'history', '--env', 'prod', '--format', 'json'])).out);
  assert.equal(history.length, 3);
  const oldest = history[2];
  const newest = history[0];
  assert.ok(history[1].score < oldest.score, 'the failing run scored lower');

  const out = join(dataDir, 'out');
  const made = await readyroom(['--config', config, 'report', '--env', 'prod', '--out', out, '--format', 'json']);
  assert.equal(made.code, 0, made.err);
  const { html, markdown, report } = JSON.parse(made.out);
  assert.equal(report.runs, 3);
  assert.equal(report.start.score, oldest.score);
  assert.equal(report.now.score, newest.score);
  assert.equal(report.start.provenance.run, oldest.id);
  assert.equal(report.now.provenance.run, newest.id);
  for (const file of [html, markdown]) assert.ok(!readFileSync(file, 'utf8').includes(marker), `no secret in ${file}`);

  // The Nu HTML Checker (vnu.jar, from npm; needs Java): no errors.
  const vnu = require.resolve('vnu-jar/build/dist/vnu.jar');
  try {
    execFileSync('java', ['-jar', vnu, '--errors-only', html], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    assert.fail(`the Nu HTML Checker found errors:\n${e.stderr ?? e}`);
  }

  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 1400 } });
    // Nothing leaves the page: any request but the file itself is a fetch.
    const fetched = [];
    page.on('request', (r) => r.url().startsWith('file:') || fetched.push(r.url()));
    await page.goto(`file://${html}`);
    assert.deepEqual(fetched, [], 'the report fetches nothing');
    const row = await page.locator('tr[data-row="score"]').innerText();
    assert.match(row, new RegExp(`${oldest.score.toFixed(1)}\\s+${newest.score.toFixed(1)}`), row);
    const unresolved = await page.evaluate(() =>
      [...document.querySelectorAll('a.prov')].filter((a) => !document.getElementById(a.getAttribute('href').slice(1))).map((a) => a.getAttribute('href')),
    );
    assert.deepEqual(unresolved, [], 'every provenance link resolves');
    assert.ok((await page.locator('a.prov').count()) > 10);
    await page.locator('a.prov').first().click();
    assert.match(page.url(), /#p-\d+/);
    await page.screenshot({ path: 'artifacts/report.png', fullPage: true });
  } finally {
    await browser.close();
  }
});

test('the weekly review in the app: the same numbers, Save writes the files, Print shows it alone', async () => {
  const server = await startServe(config, dataDir);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.url);
    await page.getByRole('button', { name: 'Weekly review' }).click();
    const review = page.getByTestId('weekly-review');
    const row = review.locator('tr[data-row="score"]');
    await row.waitFor();
    const [oldest, newest] = [history[2], history[0]];
    const cells = await row.locator('td').allInnerTexts();
    assert.deepEqual(cells.slice(0, 2), [oldest.score.toFixed(1), newest.score.toFixed(1)]);
    // Each number says where it came from.
    assert.match(await row.locator('.prov').first().getAttribute('title'), new RegExp(`^run #${oldest.id} at `));
    assert.ok((await review.getByTestId('review-steps').locator('tr[data-step]').count()) > 0, 'the path to the next grade');
    await review.getByRole('button', { name: 'Save HTML and Markdown' }).click();
    const saved = await review.getByTestId('review-saved').innerText();
    const [html] = /\S+\.html/.exec(saved);
    assert.ok(html.startsWith(join(dataDir, 'reports')), saved);
    assert.match(readFileSync(html, 'utf8'), new RegExp(`href="#p-${newest.id}"[^>]*>${newest.score.toFixed(1)}</a>`));
    assert.ok(!readFileSync(html, 'utf8').includes(marker));
    await page.screenshot({ path: 'artifacts/review.png' });
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.locator('.topbar').isVisible(), false, 'printing shows the review alone');
    assert.equal(await review.isVisible(), true);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    stop(server.serve);
  }
});
