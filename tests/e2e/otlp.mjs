// Traces of known shape for the Traces view's tests, as OTLP/JSON
// (the specification's JSON mapping: hex ids, nanoseconds as strings),
// sent to a running Readyroom OTLP/HTTP receiver.
import { randomBytes } from 'node:crypto';

export const newTraceId = () => randomBytes(16).toString('hex');

const attrs = (o) =>
  Object.entries(o).map(([key, v]) => ({
    key,
    value: typeof v === 'number' ? (Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v }) : { stringValue: String(v) },
  }));

/**
 * One OTLP/JSON request. `spans`: { id, parent?, service, name, kind?, startMs, durMs, error?, attributes?, events? },
 * times in ms from `t0Ms`; ids are short names turned into 16-hex-digit span ids.
 */
export function otlpJson(traceId, environment, t0Ms, spans) {
  const spanId = (name) => Buffer.from(name.padEnd(8, '_').slice(0, 8)).toString('hex');
  const ns = (ms) => String(BigInt(Math.round((t0Ms + ms) * 1000)) * 1000n);
  const byService = new Map();
  for (const s of spans) {
    if (!byService.has(s.service)) byService.set(s.service, []);
    byService.get(s.service).push({
      traceId,
      spanId: spanId(s.id),
      parentSpanId: s.parent ? spanId(s.parent) : '',
      name: s.name,
      kind: s.kind ?? 1,
      startTimeUnixNano: ns(s.startMs),
      endTimeUnixNano: ns(s.startMs + s.durMs),
      attributes: attrs(s.attributes ?? {}),
      events: (s.events ?? []).map((e) => ({ timeUnixNano: ns(e.atMs), name: e.name, attributes: attrs(e.attributes ?? {}) })),
      status: s.error ? { code: 2, message: s.error } : { code: 0 },
    });
  }
  return {
    resourceSpans: [...byService].map(([service, list]) => ({
      resource: { attributes: attrs({ 'service.name': service, 'deployment.environment.name': environment }) },
      scopeSpans: [{ scope: { name: 'e2e' }, spans: list }],
    })),
  };
}

export function spanIdOf(name) {
  return Buffer.from(name.padEnd(8, '_').slice(0, 8)).toString('hex');
}

export async function send(endpoint, body) {
  const res = await fetch(`${endpoint.replace(/\/$/, '')}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`the receiver answered ${res.status}: ${await res.text()}`);
}

/**
 * A checkout: the API calls payments (which fails once with an exception,
 * then succeeds), inventory, and an LLM that is rate limited once and
 * then answers. The critical path runs through payments.
 */
export function checkout({ slowPayments = false } = {}) {
  const pay = slowPayments ? 420 : 120;
  return [
    { id: 'root', service: 'checkout', name: 'POST /api/checkout', kind: 2, startMs: 0, durMs: 40 + pay + 300, attributes: { 'http.route': '/api/checkout', 'http.request.method': 'POST', 'http.response.status_code': 200 } },
    { id: 'cart', parent: 'root', service: 'checkout', name: 'load cart', startMs: 2, durMs: 30, attributes: { 'cart.items': 3 } },
    { id: 'inv', parent: 'root', service: 'inventory', name: 'reserve items', kind: 3, startMs: 5, durMs: 25 },
    {
      id: 'pay1', parent: 'root', service: 'payments', name: 'charge card', kind: 3, startMs: 35, durMs: 20, error: 'card processor timed out',
      attributes: { 'card.last4': '4242', 'http.response.status_code': 504 },
      events: [{ atMs: 50, name: 'exception', attributes: { 'exception.type': 'TimeoutError', 'exception.message': 'processor timed out', 'exception.stacktrace': 'TimeoutError: processor timed out\n    at charge (payments.js:42)\n    at retry (payments.js:77)' } }],
    },
    { id: 'pay2', parent: 'root', service: 'payments', name: 'charge card', kind: 3, startMs: 60, durMs: pay - 20, attributes: { 'card.last4': '4242' } },
    { id: 'db', parent: 'pay2', service: 'payments', name: 'INSERT charges', kind: 3, startMs: 70, durMs: pay - 50, attributes: { 'db.system': 'postgresql' } },
    {
      id: 'llm1', parent: 'root', service: 'checkout', name: 'chat gpt-4o-mini', kind: 3, startMs: 40 + pay, durMs: 15, error: 'rate limited',
      attributes: { 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-4o-mini', 'http.response.status_code': 429, 'http.response.header.retry-after': '0.1' },
    },
    {
      id: 'llm2', parent: 'root', service: 'checkout', name: 'chat gpt-4o-mini', kind: 3, startMs: 40 + pay + 115, durMs: 180,
      attributes: { 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-4o-mini', 'http.response.status_code': 200, 'gen_ai.usage.input_tokens': 420, 'gen_ai.usage.output_tokens': 96 },
    },
  ];
}
