// Data and in-page probes shared by the Traces view's benchmarks
// (Chromium: bench-traces-view.mjs; the desktop app: bench-traces-desktop.mjs).

const hex = (n, width) => n.toString(16).padStart(width, '0');

const SERVICES = ['gateway', 'orders', 'payments', 'inventory', 'search', 'llm-agent', 'billing', 'notify'];
const NAMES = ['GET /api/items', 'SELECT items', 'call payments', 'render', 'cache get', 'chat gpt-4o', 'enqueue', 'score'];

/** OTLP/JSON resourceSpans for spans [{ id, parent, service, name, start, dur, error }] (ns offsets). */
function body(traceHex, environment, t0, spans) {
  const byService = new Map();
  for (const s of spans) {
    if (!byService.has(s.service)) byService.set(s.service, []);
    byService.get(s.service).push({
      traceId: traceHex,
      spanId: hex(s.id, 16),
      parentSpanId: s.parent === null ? '' : hex(s.parent, 16),
      name: s.name,
      kind: s.parent === null ? 2 : 1,
      startTimeUnixNano: String(t0 + BigInt(s.start)),
      endTimeUnixNano: String(t0 + BigInt(s.start + s.dur)),
      attributes: s.parent === null ? [{ key: 'http.route', value: { stringValue: s.name } }] : [{ key: 'row', value: { intValue: String(s.id) } }],
      status: s.error ? { code: 2, message: 'failed' } : {},
    });
  }
  return {
    resourceSpans: [...byService].map(([service, list]) => ({
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }, { key: 'deployment.environment.name', value: { stringValue: environment } }] },
      scopeSpans: [{ spans: list }],
    })),
  };
}

async function post(receiver, json) {
  const r = await fetch(`${receiver}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(json) });
  if (!r.ok) throw new Error(`receiver: ${r.status} ${await r.text()}`);
}

/** A batch job: a root, fan-out children, each with a run of steps; 1 % fail. */
export async function sendBigTrace(receiver, n, traceHex, service) {
  const t0 = BigInt(Date.now() - 120_000) * 1_000_000n;
  const fan = Math.round(Math.sqrt(n));
  const spans = [{ id: 1, parent: null, service, name: `batch ${n}`, start: 0, dur: 60e9, error: false }];
  for (let i = 2; i <= n; i++) {
    const child = i <= fan + 1;
    const parent = child ? 1 : 2 + ((i - fan - 2) % fan);
    const start = child ? (i - 2) * (55e9 / fan) : ((i * 7919) % 1000) * 5e7;
    spans.push({
      id: i,
      parent,
      service: SERVICES[i % SERVICES.length],
      name: NAMES[i % NAMES.length],
      start: Math.round(start),
      dur: child ? Math.round(55e9 / fan) : 1e6 + ((i * 104729) % 50) * 1e6,
      error: i % 100 === 0,
    });
  }
  for (let i = 0; i < spans.length; i += 20_000) await post(receiver, body(traceHex, 'bench', t0, spans.slice(i, i + 20_000)));
}

export async function sendManyTraces(receiver, count) {
  const now = BigInt(Date.now() - 10 * 60_000) * 1_000_000n;
  for (let b = 0; b < count; b += 5_000) {
    const resourceSpans = [];
    for (let t = b; t < Math.min(count, b + 5_000); t++) {
      const service = SERVICES[t % SERVICES.length];
      const spans = [
        { id: 1, parent: null, service, name: NAMES[t % 3], start: 0, dur: 2e6 + (t % 997) * 1e5, error: t % 50 === 0 },
        { id: 2, parent: 1, service, name: 'SELECT items', start: 1e5, dur: 1e6, error: false },
        { id: 3, parent: 1, service, name: 'cache get', start: 1.2e6, dur: 2e5, error: false },
      ];
      resourceSpans.push(...body(`${hex(t + 1, 8)}${'ab'.repeat(12)}`, 'bench', now + BigInt(t) * 5_000_000n, spans).resourceSpans);
    }
    await post(receiver, { resourceSpans });
  }
}

/**
 * Runs in the page: for `ms`, once per animation frame, scrolls the
 * waterfall 400 px (kind 'scroll') or zooms it with ctrl+wheel ('zoom'),
 * and resolves with the frame intervals. Sent as source to the page.
 */
export function framesInPage({ kind, ms }) {
  return new Promise((resolve) => {
    const scroll = document.querySelector('.wf-scroll');
    const canvas = document.querySelector('.wf-canvas');
    const rect = canvas.getBoundingClientRect();
    const deltas = [];
    let last = performance.now();
    const begin = last;
    let dir = 1;
    let i = 0;
    const tick = (now) => {
      deltas.push(now - last);
      last = now;
      if (kind === 'scroll') {
        const max = scroll.scrollHeight - scroll.clientHeight;
        if (scroll.scrollTop + 400 * dir > max || scroll.scrollTop + 400 * dir < 0) dir = -dir;
        scroll.scrollTop += 400 * dir;
      } else {
        // Zoom in for a while, then out, around the middle of the timeline.
        dir = Math.floor(i / 30) % 2 === 0 ? -1 : 1;
        canvas.dispatchEvent(
          new WheelEvent('wheel', { deltaY: 60 * dir, ctrlKey: true, clientX: rect.left + rect.width * 0.7, clientY: rect.top + 100, bubbles: true, cancelable: true }),
        );
      }
      i++;
      if (now - begin < ms) requestAnimationFrame(tick);
      else resolve(deltas.slice(2));
    };
    requestAnimationFrame(tick);
  });
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
export const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
