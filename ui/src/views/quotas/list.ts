// One list of workspaces (over, near, projected, throttled, the top AI
// spenders, every one), sortable by any column: each workspace with its
// usage of every limit and window, its worst share, 429s and AI cost
// today, and, where a limit will run out before its window resets, when —
// with the projection's basis beside it, so nobody reads it as a
// measurement.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { Limit } from '../../bindings/Limit';
import type { LimitUsage } from '../../bindings/LimitUsage';
import type { WorkspaceList } from '../../bindings/WorkspaceList';
import type { WorkspaceUsage } from '../../bindings/WorkspaceUsage';
import { clock } from '../../format';
import { money } from './cost';
import { count, firstRunOut, LABEL, LIMITS, percent, share, SHORT, usageOf, worstBand, worstShare } from './limits';

type Key = 'workspace' | 'tier' | 'worst' | 'throttled' | 'cost' | 'runsOut' | Limit;

/** Sort values: strings and numbers, nothing (null) last either way. */
function valueOf(ws: WorkspaceUsage, key: Key): string | number | null {
  switch (key) {
    case 'workspace':
      return (ws.workspaceName || ws.workspaceId).toLowerCase();
    case 'tier':
      return ws.tier.toLowerCase();
    case 'worst':
      return worstShare(ws);
    case 'throttled':
      return ws.throttled;
    case 'cost':
      return ws.aiCost;
    case 'runsOut': {
      const first = firstRunOut(ws);
      return first ? Date.parse(first.projection!.runsOutAt) : null;
    }
    default:
      return share(usageOf(ws, key));
  }
}

function compare(a: WorkspaceUsage, b: WorkspaceUsage, key: Key, desc: boolean): number {
  const x = valueOf(a, key);
  const y = valueOf(b, key);
  if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
  const c = x < y ? -1 : x > y ? 1 : 0;
  return desc ? -c : c;
}

/** What a column sorts first: the heaviest, the most throttled, the soonest. */
const DESC_FIRST: ReadonlySet<Key> = new Set<Key>(['worst', 'throttled', 'cost', ...LIMITS]);

export function basis(u: LimitUsage): string {
  const p = u.projection!;
  return `projected at ${p.perMinute.toFixed(p.perMinute < 10 ? 2 : 0)}/min so far, ${Math.round(p.elapsedShare * 100)} % of the window passed`;
}

/** "out at 14:32", or "reached 14:05" where the limit was met by the reading. */
function runsOut(u: LimitUsage, at: string): string {
  const p = u.projection!;
  return Date.parse(p.runsOutAt) <= Date.parse(at) ? `reached ${clock(p.runsOutAt)}` : `out at ${clock(p.runsOutAt)}`;
}

function UsageCell({ u, at }: { u: LimitUsage | undefined; at: string }) {
  if (!u) return html`<td class="num muted">—</td>`;
  if (u.value === null)
    return html`<td class="num muted" title="This tier has no such limit">${u.used === null ? '—' : count(u.used)} <small>no limit</small></td>`;
  if (u.used === null) return html`<td class="num muted" title="Nothing counted in the current window">— <small>of ${count(u.value)}</small></td>`;
  return html`<td class=${`num band-${u.band ?? 'under'}`} title=${`${LABEL[u.limit]}: ${count(u.used)} of ${count(u.value)}`}>
    ${count(u.used)} <small>of ${count(u.value)}</small><br /><b>${percent(share(u))}</b>
    ${u.projection ? html`<br /><small class="runs-out">${runsOut(u, at)}</small>` : null}
  </td>`;
}

export function WorkspaceTable({
  list,
  at,
  currency,
  onTier,
}: {
  list: WorkspaceList;
  at: string;
  currency: string;
  onTier: (tier: string) => void;
}) {
  // The server's order (heaviest first; most throttled first on that list)
  // until a heading is clicked.
  const [sort, setSort] = useState<{ key: Key; desc: boolean } | null>(null);
  const rows = sort ? [...list.workspaces].sort((a, b) => compare(a, b, sort.key, sort.desc)) : list.workspaces;
  const head = (key: Key, label: string, title?: string) => {
    const on = sort?.key === key;
    const aria = on ? (sort!.desc ? 'descending' : 'ascending') : 'none';
    return html`<th aria-sort=${aria} class=${key === 'workspace' || key === 'tier' || key === 'runsOut' ? '' : 'num'}>
      <button class="sort" title=${title ?? `Sort by ${label}`}
        onClick=${() => setSort(on ? { key, desc: !sort!.desc } : { key, desc: DESC_FIRST.has(key) })}>
        ${label}${on ? (sort!.desc ? ' ▼' : ' ▲') : ''}
      </button>
    </th>`;
  };
  if (list.workspaces.length === 0) return html`<p class="muted">None.</p>`;
  return html`<table class="quota-list" data-list=${list.which}>
    <thead>
      <tr>
        ${head('workspace', 'workspace')} ${head('tier', 'tier')} ${head('worst', 'worst', 'Sort by the highest share of any limit')}
        ${LIMITS.map((l) => head(l, SHORT[l], `Sort by ${LABEL[l]} as a share of the plan`))}
        ${head('throttled', '429s today')} ${head('cost', 'AI cost today')} ${head('runsOut', 'runs out', 'Sort by the earliest projected run-out')}
      </tr>
    </thead>
    <tbody>
      ${rows.map((ws) => {
        const first = firstRunOut(ws);
        return html`<tr key=${ws.workspaceId} data-workspace=${ws.workspaceId} class=${`band-row-${worstBand(ws)}`}>
          <td><b>${ws.workspaceName || ws.workspaceId}</b><br /><small class="muted">${ws.workspaceId}</small></td>
          <td><button class="link" title=${`Only tier ${ws.tier}`} onClick=${() => onTier(ws.tier)}>${ws.tier}</button></td>
          <td class="num"><b>${percent(worstShare(ws))}</b></td>
          ${LIMITS.map((l) => html`<${UsageCell} u=${usageOf(ws, l)} at=${at} />`)}
          <td class="num">${ws.throttled ? html`<b class="error-text">${count(ws.throttled)}</b>` : '0'}</td>
          <td class="num">${money(ws.aiCost, currency)}</td>
          <td class="projection">
            ${first
              ? html`<b>${LABEL[first.limit]} ${runsOut(first, at)}</b>
                  <small class="muted"> (resets ${clock(first.projection!.resetsAt)})</small><br /><small class="muted">${basis(first)}</small>`
              : html`<span class="muted">—</span>`}
          </td>
        </tr>`;
      })}
    </tbody>
  </table>`;
}
