// The waterfall's layout, computed once per trace into typed arrays: the
// backend sends columns in tree order, so a subtree is a contiguous run of
// rows and collapsing, searching and jumping between errors are scans over
// flat arrays, never a walk over objects. Nothing here touches the DOM.
import type { TraceColumns } from '../../bindings/TraceColumns';

export interface Layout {
  cols: TraceColumns;
  n: number;
  parent: Int32Array;
  depth: Uint32Array;
  service: Uint32Array;
  name: Uint32Array;
  /** Microseconds from the trace's start, and durations. */
  start: Float64Array;
  duration: Float64Array;
  critical: Float64Array;
  error: Uint8Array;
  /** One past the last row of each row's subtree. */
  subtreeEnd: Int32Array;
  errorRows: Int32Array;
  criticalRows: Int32Array;
  totalUs: number;
}

export function layout(cols: TraceColumns): Layout {
  const n = cols.parent.length;
  const depth = Uint32Array.from(cols.depth);
  // A row's subtree ends at the next row no deeper than it.
  const subtreeEnd = new Int32Array(n);
  const open: number[] = [];
  for (let i = 0; i < n; i++) {
    while (open.length > 0 && depth[open[open.length - 1]] >= depth[i]) subtreeEnd[open.pop()!] = i;
    open.push(i);
  }
  for (const i of open) subtreeEnd[i] = n;
  const error = Uint8Array.from(cols.error);
  const critical = Float64Array.from(cols.criticalUs);
  const errorRows: number[] = [];
  const criticalRows: number[] = [];
  for (let i = 0; i < n; i++) {
    if (error[i]) errorRows.push(i);
    if (critical[i] > 0) criticalRows.push(i);
  }
  return {
    cols,
    n,
    parent: Int32Array.from(cols.parent),
    depth,
    service: Uint32Array.from(cols.service),
    name: Uint32Array.from(cols.name),
    start: Float64Array.from(cols.startUs),
    duration: Float64Array.from(cols.durationUs),
    critical,
    error,
    subtreeEnd,
    errorRows: Int32Array.from(errorRows),
    criticalRows: Int32Array.from(criticalRows),
    totalUs: Math.max(cols.totalUs, 1),
  };
}

export function hasChildren(l: Layout, row: number): boolean {
  return l.subtreeEnd[row] > row + 1;
}

export function spanId(l: Layout, row: number): string {
  return l.cols.spanIds.slice(row * 16, row * 16 + 16);
}

/** The rows shown: every row not inside a collapsed subtree. */
export function visibleRows(l: Layout, collapsed: Set<number>): Int32Array {
  if (collapsed.size === 0) {
    const all = new Int32Array(l.n);
    for (let i = 0; i < l.n; i++) all[i] = i;
    return all;
  }
  const out: number[] = [];
  for (let i = 0; i < l.n; ) {
    out.push(i);
    i = collapsed.has(i) ? l.subtreeEnd[i] : i + 1;
  }
  return Int32Array.from(out);
}

/** Position of `row` among the visible rows (binary search: they ascend), or -1. */
export function visibleIndex(visible: Int32Array, row: number): number {
  let lo = 0;
  let hi = visible.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (visible[mid] === row) return mid;
    if (visible[mid] < row) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Collapsed ancestors of `row` removed, so that it shows. */
export function reveal(l: Layout, collapsed: Set<number>, row: number): Set<number> {
  let next: Set<number> | null = null;
  for (let p = l.parent[row]; p >= 0; p = l.parent[p]) {
    if (collapsed.has(p)) {
      next ??= new Set(collapsed);
      next.delete(p);
    }
  }
  return next ?? collapsed;
}

/** The next (or previous) row in `rows` after `from`, wrapping around; -1 when empty. */
export function step(rows: Int32Array | number[], from: number, forward: boolean): number {
  if (rows.length === 0) return -1;
  if (forward) {
    for (const r of rows) if (r > from) return r;
    return rows[0];
  }
  for (let i = rows.length - 1; i >= 0; i--) if (rows[i] < from) return rows[i];
  return rows[rows.length - 1];
}

/** Rows whose name or service contains `query` (case-insensitive). */
export function nameMatches(l: Layout, query: string): number[] {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  const names = l.cols.names.map((s) => s.toLowerCase().includes(q));
  const services = l.cols.services.map((s) => s.toLowerCase().includes(q));
  const out: number[] = [];
  for (let i = 0; i < l.n; i++) if (names[l.name[i]] || services[l.service[i]]) out.push(i);
  return out;
}

/** Where the critical path spends its time: the largest contributors. */
export function criticalSummary(l: Layout, top = 3): { spans: number; totalUs: number; heaviest: { row: number; us: number }[] } {
  let totalUs = 0;
  const rows = Array.from(l.criticalRows);
  for (const r of rows) totalUs += l.critical[r];
  const heaviest = rows
    .map((row) => ({ row, us: l.critical[row] }))
    .sort((a, b) => b.us - a.us)
    .slice(0, top);
  return { spans: rows.length, totalUs, heaviest };
}
