// A limit as the Quotas view shows it: its label, the share of the plan a
// workspace used, the band's class, and a percentage an operator reads at
// a glance. The band itself comes from Rust (exact integer edges); the
// share here only colours and sorts.
import type { Band } from '../../bindings/Band';
import type { Limit } from '../../bindings/Limit';
import type { LimitUsage } from '../../bindings/LimitUsage';
import type { WorkspaceUsage } from '../../bindings/WorkspaceUsage';

/** In the order the plans list them (the Rust `Limit::ALL`). */
export const LIMITS: readonly Limit[] = [
  'requests_per_minute',
  'requests_per_hour',
  'requests_per_day',
  'ai_calls_per_day',
  'ai_tokens_per_day',
];

export const LABEL: Record<Limit, string> = {
  requests_per_minute: 'requests/minute',
  requests_per_hour: 'requests/hour',
  requests_per_day: 'requests/day',
  ai_calls_per_day: 'AI calls/day',
  ai_tokens_per_day: 'AI tokens/day',
};

/** Narrow column headings. */
export const SHORT: Record<Limit, string> = {
  requests_per_minute: 'req/min',
  requests_per_hour: 'req/hour',
  requests_per_day: 'req/day',
  ai_calls_per_day: 'AI calls/day',
  ai_tokens_per_day: 'AI tokens/day',
};

const COUNT = new Intl.NumberFormat('en-US');

/** A count with thousands grouped, as the CLI prints it. */
export function count(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : COUNT.format(n);
}

/** `used / limit`; a limit of 0 with anything used is infinitely past it. */
export function share(u: LimitUsage | undefined): number | null {
  if (!u || u.used === null || u.value === null) return null;
  if (u.value === 0) return u.used > 0 ? Infinity : 0;
  return u.used / u.value;
}

export function percent(s: number | null): string {
  if (s === null) return '—';
  if (!Number.isFinite(s)) return '∞ %';
  // Never round 99.6 % up to "100 %": at 100 % is a band edge.
  // (The epsilon undoes binary fractions: 29/100 * 100 is 28.999….)
  return `${Math.floor(s * 100 + 1e-9)} %`;
}

export function usageOf(ws: WorkspaceUsage, limit: Limit): LimitUsage | undefined {
  return ws.limits.find((l) => l.limit === limit);
}

export function worstShare(ws: WorkspaceUsage): number | null {
  let worst: number | null = null;
  for (const l of ws.limits) {
    const s = share(l);
    if (s !== null && (worst === null || s > worst)) worst = s;
  }
  return worst;
}

export function worstBand(ws: WorkspaceUsage): Band {
  const order: Band[] = ['under', 'near', 'over'];
  return ws.limits.reduce<Band>((w, l) => (l.band && order.indexOf(l.band) > order.indexOf(w) ? l.band : w), 'under');
}

/** The earliest run-out over a workspace's limits, and which limit. */
export function firstRunOut(ws: WorkspaceUsage): LimitUsage | null {
  let first: LimitUsage | null = null;
  for (const l of ws.limits) {
    if (l.projection && (!first || Date.parse(l.projection.runsOutAt) < Date.parse(first.projection!.runsOutAt))) first = l;
  }
  return first;
}
