// The Traces view's state in the URL (`#/traces?status=error&trace=…`),
// so a war-room screen can be linked to exactly what is on it, and the
// browser's back button walks back through it.

export type Sort = 'start' | 'duration';
export type Tab = 'list' | 'overview';

export interface TracesState {
  tab: Tab;
  service: string;
  route: string;
  status: '' | 'ok' | 'error';
  /** Milliseconds, as typed ('' when not set). */
  minMs: string;
  maxMs: string;
  /** `key=value`. */
  attr: string;
  /** Minutes back. */
  since: number;
  /** An explicit window instead ('' when not set): local `YYYY-MM-DDTHH:MM`. */
  from: string;
  to: string;
  sort: Sort;
  /** The open trace, and the span selected in it. */
  trace: string;
  span: string;
  /** The trace compared with the open one. */
  compare: string;
  /** The opened file the trace is read from ('' for the store). */
  file: string;
}

export const DEFAULTS: TracesState = {
  tab: 'list',
  service: '',
  route: '',
  status: '',
  minMs: '',
  maxMs: '',
  attr: '',
  since: 60,
  from: '',
  to: '',
  sort: 'start',
  trace: '',
  span: '',
  compare: '',
  file: '',
};

export function readState(hash: string = window.location.hash): TracesState {
  const query = hash.includes('?') ? hash.slice(hash.indexOf('?') + 1) : '';
  const p = new URLSearchParams(query);
  const since = Number(p.get('since'));
  const status = p.get('status');
  return {
    tab: p.get('tab') === 'overview' ? 'overview' : 'list',
    service: p.get('service') ?? '',
    route: p.get('route') ?? '',
    status: status === 'ok' || status === 'error' ? status : '',
    minMs: p.get('min') ?? '',
    maxMs: p.get('max') ?? '',
    attr: p.get('attr') ?? '',
    since: Number.isFinite(since) && since > 0 ? since : DEFAULTS.since,
    from: p.get('from') ?? '',
    to: p.get('to') ?? '',
    sort: p.get('sort') === 'duration' ? 'duration' : 'start',
    trace: p.get('trace') ?? '',
    span: p.get('span') ?? '',
    compare: p.get('compare') ?? '',
    file: p.get('file') ?? '',
  };
}

export function stateHash(s: TracesState): string {
  const p = new URLSearchParams();
  const put = (key: string, value: string, fallback: string) => {
    if (value !== fallback) p.set(key, value);
  };
  put('tab', s.tab, DEFAULTS.tab);
  put('service', s.service, '');
  put('route', s.route, '');
  put('status', s.status, '');
  put('min', s.minMs, '');
  put('max', s.maxMs, '');
  put('attr', s.attr, '');
  put('since', String(s.since), String(DEFAULTS.since));
  put('from', s.from, '');
  put('to', s.to, '');
  put('sort', s.sort, DEFAULTS.sort);
  put('trace', s.trace, '');
  put('span', s.span, '');
  put('compare', s.compare, '');
  put('file', s.file, '');
  const query = p.toString();
  return `#/traces${query ? `?${query}` : ''}`;
}

/** Replaces the URL's state without a history entry (typing in a filter). */
export function replaceState(s: TracesState): void {
  history.replaceState(null, '', stateHash(s));
}

/** Moves to a new state with a history entry (opening a trace). */
export function pushState(s: TracesState): void {
  window.location.hash = stateHash(s);
}
