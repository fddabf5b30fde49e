// Starting the real `readyroom` binary and Debian's Chromium for the
// end-to-end tests. READYROOM_BIN names the binary (scripts/test builds it).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const BIN = process.env.READYROOM_BIN;
if (!BIN) throw new Error('READYROOM_BIN must name the readyroom binary (scripts/test sets it)');

/** Runs until `pattern` shows up on the stream, or fails after `ms`. */
export function waitFor(stream, pattern, ms, what) {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start within ${ms} ms; output:\n${seen}`)), ms);
    stream.on('data', (chunk) => {
      seen += chunk.toString();
      const m = pattern.exec(seen);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
  });
}

// Every temp folder a run makes is removed when the process exits, so runs
// on a CI machine leave nothing behind.
const made = [];
process.on('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix = 'readyroom-e2e-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function spawnReadyroom(args, dataDir, stdin = 'ignore') {
  const env = { ...process.env, READYROOM_DATA_DIR: dataDir, NO_COLOR: '1' };
  for (const k of Object.keys(env)) if (k.startsWith('READYROOM_SECRET_') || k === 'READYROOM_CONFIG') delete env[k];
  return spawn(BIN, args, { env, stdio: [stdin, 'pipe', 'pipe'] });
}

/** The example production, and a config with a second, broken environment. */
export async function startTargets(dataDir) {
  const demo = spawnReadyroom(['demo'], dataDir);
  const [, configPath] = await waitFor(demo.stderr, /Its config: (\S+)/, 60_000, 'readyroom demo');
  const base = readFileSync(configPath, 'utf8');
  const baseUrl = /base_url = "([^"]+)"/.exec(base)[1].replace(/\/$/, '');
  const caFile = /ca_file = "([^"]+)"/.exec(base)[1];
  const config = join(dataDir, 'e2e.toml');
  writeFileSync(
    config,
    `${base}
[environments.staging]
base_url = "${baseUrl}/"
health_urls = ["${baseUrl}/api/does-not-exist"]
ca_file = "${caFile}"

[environments.staging.postgres]
url_secret = "e2e-${process.pid}/database-url"
`,
  );
  return { demo, config, secretName: `e2e-${process.pid}/database-url` };
}

export async function startServe(config, dataDir, extra = []) {
  const serve = spawnReadyroom(['--config', config, 'serve', '--format', 'json', ...extra], dataDir);
  const [line] = await waitFor(serve.stdout, /\{.*\}\n/, 30_000, 'readyroom serve');
  const { url, address } = JSON.parse(line);
  return { serve, url, address, token: url.split('#token=')[1] };
}

export function stop(...procs) {
  for (const p of procs) if (p && p.exitCode === null) p.kill('SIGINT');
}

/** Flags that keep Debian's Chromium quiet on a closed network (TESTING.md). */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

export async function launchChromium() {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
}

/** A loopback port free now (bound, read, released). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** One command on a running `serve`'s API: `{ status, body }`. */
export async function rpc(server, cmd, payload) {
  const r = await fetch(`http://${server.address}/api/rpc`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}` },
    body: JSON.stringify({ cmd, payload }),
  });
  return { status: r.status, body: await r.json() };
}

/** Whether something accepts connections on a loopback port now. */
export function portAnswers(port) {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => {
      s.end();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}
