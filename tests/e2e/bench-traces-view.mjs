// The Traces view's benchmark (issue 10), in Chromium against
// `readyroom serve`: a 50,000- and a 200,000-span trace and 100,000 small
// traces are sent to serve's own OTLP receiver; then
//   - click → first painted waterfall (performance marks in the page),
//   - scrolling and zooming: frame times from requestAnimationFrame,
//   - the page's JS heap with each big trace open (CDP Performance metrics),
//   - the list's response to a filter change over 100,000 stored traces.
// Usage: node bench-traces-view.mjs [--rounds N]   (READYROOM_BIN: the binary)
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { framesInPage, median, pct, sendBigTrace, sendManyTraces } from './bench-data.mjs';
import { launchChromium, tempDir } from './harness.mjs';

const BIN = process.env.READYROOM_BIN;
if (!BIN) throw new Error('READYROOM_BIN must name the readyroom binary');
const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 3;


function start() {
  const dir = tempDir('readyroom-bench-view-');
  const config = join(dir, 'config.toml');
  writeFileSync(config, '[settings.otlp]\nhttp = "127.0.0.1:0"\ngrpc = "127.0.0.1:0"\nmax_body_bytes = 67108864\n\n[environments.bench]\n');
  const child = spawn(BIN, ['--config', config, 'serve', '--format', 'json'], {
    env: { ...process.env, READYROOM_DATA_DIR: dir, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stdout.on('data', (c) => {
      seen += c;
      const line = seen.split('\n')[0];
      if (seen.includes('\n')) {
        try {
          const { url, address } = JSON.parse(line);
          resolve({ child, url, base: `http://${address}`, token: url.split('#token=')[1] });
        } catch (e) {
          reject(e);
        }
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}`)));
  });
}

async function rpc(server, cmd, payload) {
  const r = await fetch(`${server.base}/api/rpc`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}` },
    body: JSON.stringify({ cmd, payload }),
  });
  if (!r.ok) throw new Error(`${cmd}: ${r.status} ${await r.text()}`);
  return r.json();
}

async function openTrace(page, server, traceHex, service) {
  await page.goto(`${server.url.split('#')[0]}#/traces?service=${service}&since=1440`);
  const link = page.locator(`tr[data-trace="${traceHex}"] a`);
  await link.waitFor({ timeout: 120_000 });
  await page.evaluate(() => {
    performance.clearMarks();
    document.addEventListener('click', () => performance.mark('bench:click'), { capture: true, once: true });
  });
  await link.click();
  await page.locator('.wf-canvas[data-painted="1"]').waitFor({ timeout: 120_000 });
  return page.evaluate(() => {
    const click = performance.getEntriesByName('bench:click')[0].startTime;
    const painted = performance.getEntriesByName('readyroom:waterfall-painted')[0].startTime;
    return painted - click;
  });
}

/** The renderer processes' proportional set size (Linux), MiB. */
async function rendererPssMiB(browserCdp) {
  const { processInfo } = await browserCdp.send('SystemInfo.getProcessInfo');
  let kib = 0;
  for (const p of processInfo.filter((p) => p.type === 'renderer')) {
    try {
      const rollup = readFileSync(`/proc/${p.id}/smaps_rollup`, 'utf8');
      kib += Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
    } catch {}
  }
  return kib / 1024;
}

async function heapMiB(cdp) {
  await cdp.send('HeapProfiler.collectGarbage');
  const { metrics } = await cdp.send('Performance.getMetrics');
  return metrics.find((m) => m.name === 'JSHeapUsedSize').value / 1024 / 1024;
}

async function main() {
  const server = await start();
  try {
    // The receiver takes a free port; the status command says which.
    let receiver;
    for (let i = 0; i < 100 && !receiver; i++) {
      const s = await rpc(server, 'get_receiver_status', {});
      const http = s.listening.find((l) => l.protocol === 'OTLP/HTTP');
      if (http) receiver = `http://${http.address}`;
      else await new Promise((r) => setTimeout(r, 100));
    }
    const t50 = `${'5a'.repeat(16)}`;
    const t200 = `${'c8'.repeat(16)}`;
    let t = Date.now();
    await sendBigTrace(receiver, 50_000, t50, 'big50k');
    await sendBigTrace(receiver, 200_000, t200, 'big200k');
    await sendManyTraces(receiver, 100_000);
    console.error(`sent 250,000 + 300,000 spans in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    for (const [service, id] of [['big50k', t50], ['big200k', t200]]) {
      const listed = await rpc(server, 'list_traces', { service, sinceMinutes: 1440 });
      if (!listed.traces.some((x) => x.traceId === id)) throw new Error(`${id} is not listed: ${JSON.stringify(listed).slice(0, 600)}`);
    }

    const columns = async (id) => {
      const t0 = performance.now();
      const r = await fetch(`${server.base}/api/rpc`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}` },
        body: JSON.stringify({ cmd: 'get_trace_columns', payload: { traceId: id } }),
      });
      const text = await r.text();
      return { ms: performance.now() - t0, bytes: text.length };
    };

    // The command alone (HTTP from here), for the same filters.
    const rpcTimes = {};
    for (let round = 0; round < rounds; round++) {
      for (const [what, payload] of [
        ['status=error', { status: 'error' }],
        ['sort=duration', { sort: 'duration' }],
        ['status=any', {}],
        ['window 6 h', { sinceMinutes: 360 }],
      ]) {
        const t0 = performance.now();
        await rpc(server, 'list_traces', { sinceMinutes: 1440, limit: 200, ...payload });
        (rpcTimes[what] ??= []).push(performance.now() - t0);
      }
    }
    const browser = await launchChromium();
    const browserCdp = await browser.newBrowserCDPSession();
    const results = { open50k: [], open200k: [], scroll50k: [], zoom50k: [], scroll200k: [], filter: {}, filterRequest: {}, heap: {}, pss: {}, columns: {} };
    for (const [name, id] of [['50k', t50], ['200k', t200]]) {
      const c = await columns(id);
      results.columns[name] = { ms: Math.round(c.ms), mib: +(c.bytes / 1024 / 1024).toFixed(1) };
    }
    for (let round = 0; round < rounds; round++) {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      // The launch URL carries the token (kept for the tab).
      await page.goto(server.url);
      await page.getByRole('navigation', { name: 'Areas' }).waitFor();
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Performance.enable');
      await heapMiB(cdp);
      results.pss.before = await rendererPssMiB(browserCdp);
      results.open50k.push(await openTrace(page, server, t50, 'big50k'));
      results.heap['50k'] = await heapMiB(cdp);
      results.pss['50k'] = await rendererPssMiB(browserCdp);
      const scroll = await page.evaluate(framesInPage, { kind: 'scroll', ms: 3000 });
      const zoom = await page.evaluate(framesInPage, { kind: 'zoom', ms: 3000 });
      results.scroll50k.push(median(scroll), pct(scroll, 0.95));
      results.zoom50k.push(median(zoom), pct(zoom, 0.95));
      results.open200k.push(await openTrace(page, server, t200, 'big200k'));
      results.heap['200k'] = await heapMiB(cdp);
      results.pss['200k'] = await rendererPssMiB(browserCdp);
      const scroll200 = await page.evaluate(framesInPage, { kind: 'scroll', ms: 3000 });
      results.scroll200k.push(median(scroll200), pct(scroll200, 0.95));

      // The list over 100,000 stored traces: a select changes the filter at once.
      await page.goto(`${server.url.split('#')[0]}#/traces?since=1440`);
      await page.locator('[data-testid=trace-count]').waitFor({ timeout: 120_000 });
      // Timed in the page: the select's change event → the list no longer
      // busy (its aria-busy drops after the rows are rendered); the
      // request's own span from the resource timings.
      await page.evaluate(() => {
        document.addEventListener('change', () => (window.__changedAt = performance.now()), true);
        new MutationObserver(() => {
          if (document.querySelector('.trace-list')?.getAttribute('aria-busy') === 'false') window.__doneAt = performance.now();
        }).observe(document.querySelector('main'), { subtree: true, attributes: true, attributeFilter: ['aria-busy'] });
      });
      const change = async (what, act) => {
        await page.evaluate(() => {
          window.__doneAt = 0;
          performance.clearResourceTimings();
        });
        await act();
        await page.waitForFunction(() => window.__doneAt > window.__changedAt, null, { timeout: 30_000 });
        const t = await page.evaluate(() => {
          const rpc = performance.getEntriesByType('resource').filter((e) => e.name.endsWith('/api/rpc')).pop();
          return { total: window.__doneAt - window.__changedAt, request: rpc ? rpc.responseEnd - rpc.startTime : NaN };
        });
        (results.filter[what] ??= []).push(t.total);
        (results.filterRequest[what] ??= []).push(t.request);
      };
      await change('status=error', () => page.getByLabel('Status').selectOption('error'));
      await change('sort=duration', () => page.getByLabel('Sort').selectOption('duration'));
      await change('status=any', () => page.getByLabel('Status').selectOption(''));
      await change('window 6 h', () => page.getByLabel('Time').selectOption('360'));
      await change('sort=start', () => page.getByLabel('Sort').selectOption('start'));
      await page.close();
    }
    await browser.close();
    const ms = (x) => `${Math.round(x)} ms`;
    const out = {
      'get_trace_columns (HTTP, uncompressed)': results.columns,
      'click → first painted waterfall, 50k spans (per round)': results.open50k.map(ms),
      'click → first painted waterfall, 200k spans (per round)': results.open200k.map(ms),
      'scroll 50k: median / p95 frame (per round)': results.scroll50k.map((x) => x.toFixed(1)),
      'zoom 50k: median / p95 frame (per round)': results.zoom50k.map((x) => x.toFixed(1)),
      'scroll 200k: median / p95 frame (per round)': results.scroll200k.map((x) => x.toFixed(1)),
      'JS heap with the trace open, after GC (MiB, last round; typed arrays are outside it)': Object.fromEntries(Object.entries(results.heap).map(([k, v]) => [k, +v.toFixed(1)])),
      'renderer process PSS (MiB, last round): the app shell, then with each trace open': Object.fromEntries(Object.entries(results.pss).map(([k, v]) => [k, +v.toFixed(1)])),
      'list_traces over 100,000 traces, the command alone over HTTP (per round)': Object.fromEntries(Object.entries(rpcTimes).map(([k, v]) => [k, v.map(ms)])),
      'list filter change, its request as the page saw it (per round)': Object.fromEntries(Object.entries(results.filterRequest).map(([k, v]) => [k, v.map(ms)])),
      'list filter change over 100,000 traces → rendered (per round)': Object.fromEntries(Object.entries(results.filter).map(([k, v]) => [k, v.map(ms)])),
    };
    console.log(JSON.stringify(out, null, 2));
  } finally {
    server.child.kill('SIGINT');
  }
}

await main();
