// Benchmark (issue 3): desktop cold start to first meaningful paint and idle
// memory of the whole process tree, against Chromium --app showing the same
// UI from `readyroom serve`.
//
// Run: scripts/bench-desktop [runs]   (needs Xvfb, xdotool; see the README)
//
// "First meaningful paint" is when a visible (mapped) window's title becomes
// "Readyroom — <env> ..." — the UI sets it in the same render that shows the
// scorecard, for both transports, so the two are measured identically from
// outside. Only mapped windows count: the desktop window starts hidden
// until its page has loaded. Memory is the proportional set size (PSS, shared pages split
// fairly) summed over every process of the tree, after 5 s idle.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CHROMIUM, CHROMIUM_FLAGS, startServe, startTargets, stop, tempDir } from './harness.mjs';

const RUNS = Number(process.argv[2] ?? 5);
const APP = process.env.READYROOM_DESKTOP_BIN;
if (!APP || !process.env.DISPLAY) throw new Error('needs READYROOM_DESKTOP_BIN and DISPLAY (use scripts/bench-desktop)');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function windowWithTitle(prefix) {
  try {
    return execFileSync('xdotool', ['search', '--onlyvisible', '--name', `^${prefix}`], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return '';
  }
}

async function untilPainted(started) {
  for (;;) {
    if (windowWithTitle('Readyroom — ')) return performance.now() - started;
    if (performance.now() - started > 60_000) throw new Error('no meaningful paint within 60 s');
    await sleep(10);
  }
}

function children() {
  const map = new Map();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!map.has(ppid)) map.set(ppid, []);
      map.get(ppid).push(Number(pid));
    } catch {}
  }
  return map;
}

function treePssKiB(root) {
  const kids = children();
  let total = 0;
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop();
    try {
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      total += Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
    } catch {}
    stack.push(...(kids.get(pid) ?? []));
  }
  return total;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mib = (kib) => (kib / 1024).toFixed(1);

async function measure(label, launch, extraPss = () => 0) {
  const starts = [];
  const mems = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const proc = launch();
    starts.push(await untilPainted(t0));
    await sleep(5_000);
    mems.push(treePssKiB(proc.pid) + extraPss());
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
    while (windowWithTitle('Readyroom')) await sleep(50);
  }
  console.log(`${label.padEnd(34)} first paint median ${median(starts).toFixed(0).padStart(5)} ms (runs: ${starts.map((s) => s.toFixed(0)).join(', ')}); idle PSS median ${mib(median(mems))} MiB`);
  return { start: median(starts), mem: median(mems) };
}

const dataDir = tempDir();
const targets = await startTargets(dataDir);
const env = {
  ...process.env,
  READYROOM_CONFIG: targets.config,
  READYROOM_DATA_DIR: join(dataDir, 'data'),
  XDG_CONFIG_HOME: join(dataDir, 'xdg-config'),
  XDG_DATA_HOME: join(dataDir, 'xdg-data'),
  XDG_CACHE_HOME: join(dataDir, 'xdg-cache'),
};
const server = await startServe(targets.config, join(dataDir, 'data'));

console.log(`bench-desktop: ${RUNS} runs each, Xvfb 1280x800, same UI, same config`);
const desktop = await measure('desktop (readyroom-desktop)', () => spawn(APP, [], { env, stdio: 'ignore' }));
const chromium = await measure(
  'chromium --app + readyroom serve',
  () =>
    spawn(
      CHROMIUM,
      [
        `--app=${server.url}`,
        `--user-data-dir=${tempDir('rr-chromium-')}`,
        ...CHROMIUM_FLAGS,
        '--window-size=1280,800',
      ],
      { env, stdio: 'ignore' },
    ),
  () => treePssKiB(server.serve.pid),
);
console.log(
  `ratio desktop/chromium: start ${(desktop.start / chromium.start).toFixed(2)}x (target <= 1x), memory ${(desktop.mem / chromium.mem).toFixed(2)}x (target <= 0.5x)`,
);
stop(server.serve, targets.demo);
process.exit(0);
