// The first run in the real desktop window (Xvfb, tauri-driver): no config
// file, the welcome screen, Open the demo starts the demo production inside
// the app and its scorecard appears; the operator's config is not written,
// and the demo goes when the app does.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { privateHome, startDesktop, waitFor } from './desktop-driver.mjs';
import { portAnswers, tempDir } from './harness.mjs';

let desktop, config;

before(async () => {
  const dataDir = tempDir();
  config = join(dataDir, 'conf', 'config.toml');
  desktop = await startDesktop({
    READYROOM_CONFIG: config,
    READYROOM_DATA_DIR: join(dataDir, 'desktop-data'),
    ...privateHome(dataDir),
  });
});

after(async () => {
  await desktop?.stop();
});

test('a first run in the real window: Open the demo reaches its scorecard', async () => {
  const { find, text, click, exec, wd, session } = desktop;
  const heading = await waitFor(() => find('.welcome h2'), 'the welcome screen');
  assert.equal(await text(heading), 'Welcome to Readyroom');
  await click(await find('[data-testid=welcome-demo] button.primary'));
  const score = await waitFor(async () => {
    const t = await text(await find('[data-testid=score] .big'));
    return t && t.length > 0 ? t : null;
  }, "the demo's scorecard", 90_000);
  assert.ok(Number(score) > 0, `score ${score}`);
  assert.match(await wd('GET', `/session/${session}/title`), /^Readyroom — demo \d/);
  const badge = await find('[data-testid=demo-badge]');
  assert.match(await text(badge), /Demo running/);
  const port = Number(/localhost:(\d+)/.exec(await exec('return document.querySelector("[data-testid=demo-badge]").title'))[1]);
  assert.ok(await portAnswers(port), 'the demo production serves from inside the app');
  assert.ok(!existsSync(config), "the operator's config is not written by the demo");
  const png = await desktop.screenshot('desktop-first-run.png');
  assert.equal(png.subarray(1, 4).toString(), 'PNG');

  await desktop.stop();
  desktop = null;
  await waitFor(async () => !(await portAnswers(port)), 'the demo to stop with the app', 10_000);
});
