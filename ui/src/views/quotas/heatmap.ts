// Workspaces × limits, each cell the share of the plan used in the current
// window: the heaviest workspaces first (the `any` list's order), so a
// glance shows whether one workspace is past everything (abuse?), one
// limit is hit by many (a limit set wrong?) or everyone climbs at once
// (the system degrading, retries?).
import { html } from 'htm/preact';
import type { WorkspaceList } from '../../bindings/WorkspaceList';
import { count, LABEL, LIMITS, percent, share, SHORT, usageOf } from './limits';

/** 0–1 of the colour's strength: any use shows, past the plan is full. */
function strength(s: number): number {
  return Math.round(Math.min(1, 0.12 + 0.88 * Math.min(s, 1)) * 100);
}

export function Heatmap({ list }: { list: WorkspaceList }) {
  if (list.workspaces.length === 0) return html`<p class="muted">No workspaces in the current windows.</p>`;
  return html`<div class="heatmap-wrap">
    <table class="heatmap" aria-label="Share of the plan used, per workspace and limit">
      <thead>
        <tr>
          <th>workspace</th>
          ${LIMITS.map((l) => html`<th title=${LABEL[l]}>${SHORT[l]}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${list.workspaces.map(
          (ws) => html`<tr key=${ws.workspaceId} data-workspace=${ws.workspaceId}>
            <th scope="row" title=${`${ws.workspaceId} · tier ${ws.tier}`}>${ws.workspaceName || ws.workspaceId} <small class="muted">${ws.tier}</small></th>
            ${LIMITS.map((l) => {
              const u = usageOf(ws, l);
              const s = share(u);
              if (!u || u.value === null) return html`<td class="cell none" title=${`${LABEL[l]}: no limit in tier ${ws.tier}`}>·</td>`;
              if (s === null) return html`<td class="cell idle" title=${`${LABEL[l]}: nothing counted`}></td>`;
              return html`<td class=${`cell band-${u.band ?? 'under'}`} style=${`--strength: ${strength(s)}%`}
                title=${`${ws.workspaceName || ws.workspaceId}, ${LABEL[l]}: ${count(u.used)} of ${count(u.value)} (${percent(s)})`}>
                ${percent(s)}
              </td>`;
            })}
          </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}
