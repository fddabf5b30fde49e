// Settings → Environments in Chromium against `readyroom serve` on a
// config a person wrote (comments, their own order): a value the config
// check refuses is said under its field as it is typed and cannot be
// saved; a secret typed into the form goes to the keychain and nowhere
// else (the file, the page, the API); Test connection runs the section as
// typed against the real PostgreSQL before anything is saved; Save keeps
// the comments and the previous file; add, rename and remove an
// environment; a file changed on disk meanwhile is not overwritten.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { launchChromium, rpc, spawnReadyroom, startServe, stop, tempDir } from './harness.mjs';

let server, browser, page, app, config, dataDir;
const pageErrors = [];
const secretName = `e2e-${process.pid}/database-url`;
// A password the local PostgreSQL (trust auth on loopback) ignores, so the
// connection works and the marker can be looked for everywhere.
const marker = `SWEEP${Date.now()}x${Math.random().toString(36).slice(2)}`;
const pgAdmin = process.env.READYROOM_TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const secretValue = (() => {
  const u = new URL(pgAdmin);
  u.password = marker;
  return u.toString();
})();

before(async () => {
  dataDir = tempDir();
  config = join(dataDir, 'config.toml');
  app = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: 'ok' }));
  });
  await new Promise((resolve) => app.listen(0, '127.0.0.1', resolve));
  writeFileSync(
    config,
    `# Our production, as the team wrote it.
default_environment = "production"

# The paying one.
[environments.production]
health_urls = ["http://127.0.0.1:${app.address().port}/health"]   # the load balancer's check
`,
  );
  server = await startServe(config, dataDir);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(server.url);
  await page.getByRole('link', { name: /Settings/ }).click();
  await page.getByTestId('env-form').waitFor();
});

after(async () => {
  await browser?.close();
  stop(server?.serve);
  app?.close();
});

const field = (key) => page.locator(`.env-field[data-key="${key}"]`);
const section = (key) => page.locator(`details[data-section="${key}"]`);
const saveButton = () => page.getByRole('button', { name: /^Save/ });

test('a refused value is said under its field as it is typed, and cannot be saved', async () => {
  const before = readFileSync(config, 'utf8');
  await field('probe_timeout_ms').locator('input').fill('50');
  const problem = field('probe_timeout_ms').locator('[data-problem]');
  await problem.waitFor();
  assert.match(await problem.innerText(), /50 is out of range; expected 100 to 600000/);
  assert.ok(await saveButton().isDisabled(), 'Save is off while the form has a problem');
  assert.match(await field('probe_timeout_ms').innerText(), /Default: \[settings\] probe_timeout_ms, 5000/);
  await field('probe_timeout_ms').locator('input').fill('3000');
  await problem.waitFor({ state: 'detached' });
  assert.ok(await saveButton().isEnabled());
  assert.equal(readFileSync(config, 'utf8'), before, 'checking writes nothing');
});

test('a secret typed in the form is in the keychain and nowhere in the file, the page or the API', async () => {
  assert.equal(await section('postgres').getAttribute('open'), null, 'a section not set up starts folded');
  await section('postgres').locator('summary').click();
  const name = field('postgres.url_secret');
  await name.locator('input').first().fill(secretName);
  assert.match(await name.getByTestId('secret-status').innerText(), /not stored yet/);
  await name.getByLabel(`Value of ${secretName}`).fill(secretValue);
  await name.getByRole('button', { name: `Store ${secretName} in the keychain` }).click();
  await name.getByTestId('secret-status').filter({ hasText: /^set$/ }).waitFor();
  assert.equal(await name.getByLabel(`Value of ${secretName}`).inputValue(), '', 'the value field is cleared');

  // Test connection runs the section as typed (url_secret not saved yet)
  // with the value read back from the keychain.
  await section('postgres').getByRole('button', { name: 'Test connection' }).click();
  const result = section('postgres').getByTestId('section-test');
  await result.filter({ hasText: /[✓✗]/ }).waitFor({ timeout: 30_000 });
  assert.match(await result.innerText(), /^✓ .*answered in \d+ ms/, await result.innerText());

  await saveButton().click();
  await page.getByTestId('env-saved').waitFor();
  const text = readFileSync(config, 'utf8');
  assert.ok(!text.includes(marker), 'the value is not in the file');
  assert.match(text, /^# Our production, as the team wrote it\.\ndefault_environment = "production"\n\n# The paying one\.\n\[environments\.production\]\n/);
  assert.match(text, /# the load balancer's check/, 'a comment on a key survives');
  assert.match(text, /probe_timeout_ms = 3000/);
  assert.match(text, new RegExp(`\\[environments\\.production\\.postgres\\]\\nurl_secret = "${secretName}"`));
  assert.ok(existsSync(`${config}.bak`), 'the previous file is kept');

  assert.ok(!(await page.content()).includes(marker), 'not in the page');
  for (const [cmd, payload] of [
    ['get_environment_form', { environment: 'production' }],
    ['list_secrets', {}],
    ['get_app_info', {}],
    ['get_config_file', {}],
    ['test_connection', { environment: 'production', source: 'postgres' }],
  ]) {
    const r = await rpc(server, cmd, payload);
    assert.equal(r.status, 200, `${cmd}: ${JSON.stringify(r.body)}`);
    assert.ok(!JSON.stringify(r.body).includes(marker), `${cmd} never returns it`);
  }
  // Another process finds it in the keychain.
  const cli = spawnReadyroom(['--config', config, 'secret', 'list', '--format', 'json'], dataDir);
  let out = '';
  cli.stdout.on('data', (d) => (out += d));
  await new Promise((r) => cli.on('exit', r));
  assert.ok(!out.includes(marker));
  const row = JSON.parse(out).find((s) => s.name === secretName);
  assert.equal(row?.set, true, out);
  assert.equal(row?.from, 'keychain', out);
});

test('add, rename and remove an environment; comments stay', async () => {
  await page.getByLabel('Name to add').fill('staging');
  await page.getByRole('button', { name: 'Add environment' }).click();
  await page.locator('tr[data-environment="staging"]').waitFor();
  assert.match(readFileSync(config, 'utf8'), /\[environments\.staging\]/);
  await page.getByRole('button', { name: 'Rename staging' }).click();
  await page.getByLabel('New name').fill('stage');
  await page.getByRole('button', { name: 'Rename', exact: true }).click();
  await page.locator('tr[data-environment="stage"]').waitFor();
  await page.getByRole('button', { name: 'Remove stage' }).click();
  await page.getByRole('button', { name: 'Remove stage', exact: true }).last().click();
  await page.locator('tr[data-environment="stage"]').waitFor({ state: 'detached' });
  const text = readFileSync(config, 'utf8');
  assert.doesNotMatch(text, /staging|stage\]/);
  assert.match(text, /# The paying one\./);
  assert.match(text, /url_secret = /);
});

test('a file changed on disk meanwhile is not overwritten', async () => {
  await page.locator('tr[data-environment="production"]').getByRole('button', { name: 'Edit production' }).click();
  await field('base_url').locator('input').fill('https://app.example.com/');
  await saveButton().waitFor();
  const edited = `${readFileSync(config, 'utf8')}\n# Added in an editor meanwhile.\n`;
  writeFileSync(config, edited);
  await saveButton().click();
  const error = page.getByTestId('env-error');
  await error.waitFor();
  assert.match(await error.innerText(), /changed on disk since it was read; nothing was written/);
  assert.equal(readFileSync(config, 'utf8'), edited, 'the editor wins');
  await page.screenshot({ path: 'artifacts/settings.png', fullPage: true });
  assert.deepEqual(pageErrors, []);
});
