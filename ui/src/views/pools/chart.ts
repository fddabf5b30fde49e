// A small time-series chart in SVG: lines (or stacked areas) over a time
// window, an optional limit line (usable connections, a pool's max), and
// shaded stretches where the source was unreachable (or, on a latency
// chart, where the pool was saturated). A null value breaks the line:
// nothing is drawn where nothing was measured.
import { html } from 'htm/preact';

export interface Line {
  label: string;
  /** A CSS class giving its colour (`series-1` … `series-4`, `series-warn`). */
  cls: string;
  points: Array<[number, number | null]>;
}

export interface ChartProps {
  title: string;
  /** The window, unix ms. */
  from: number;
  to: number;
  lines: Line[];
  /** Stack the lines as areas (connections by state). */
  stacked?: boolean;
  limit?: { label: string; points: Array<[number, number]> };
  outages?: Array<{ from: number; to: number; reason: string }>;
  /** Stretches when requests waited for a connection. */
  saturated?: Array<{ from: number; to: number; why: string[] }>;
  /** How a value reads on the axis and in the legend. */
  format?: (v: number) => string;
}

const W = 560;
const H = 150;
const PAD = { left: 44, right: 8, top: 8, bottom: 18 };

function path(points: Array<[number, number]>, x: (t: number) => number, y: (v: number) => number): string {
  return points.map(([t, v], i) => `${i === 0 ? 'M' : 'L'}${x(t).toFixed(1)},${y(v).toFixed(1)}`).join('');
}

/** Runs of consecutive measured points (a null ends a run). */
function runs(points: Array<[number, number | null]>): Array<Array<[number, number]>> {
  const out: Array<Array<[number, number]>> = [];
  let run: Array<[number, number]> = [];
  for (const [t, v] of points) {
    if (v === null || !Number.isFinite(v)) {
      if (run.length) out.push(run);
      run = [];
    } else run.push([t, v]);
  }
  if (run.length) out.push(run);
  return out;
}

export function Chart(p: ChartProps) {
  const fmt = p.format ?? ((v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(1)));
  const span = Math.max(1, p.to - p.from);
  const x = (t: number) => PAD.left + ((t - p.from) / span) * (W - PAD.left - PAD.right);
  // Stacked: each line sits on the ones before it.
  const drawn: Line[] = p.stacked
    ? p.lines.map((l, i) => ({
        ...l,
        points: l.points.map(([t, v], j) => {
          if (v === null) return [t, null];
          let sum = v;
          for (let k = 0; k < i; k++) sum += p.lines[k].points[j]?.[1] ?? 0;
          return [t, sum];
        }),
      }))
    : p.lines;
  let max = 0;
  for (const l of drawn) for (const [, v] of l.points) if (v !== null && v > max) max = v;
  for (const [, v] of p.limit?.points ?? []) if (v > max) max = v;
  max = max <= 0 ? 1 : max * 1.1;
  const y = (v: number) => PAD.top + (1 - v / max) * (H - PAD.top - PAD.bottom);
  const empty = drawn.every((l) => l.points.every(([, v]) => v === null));
  const latest = (l: Line) => {
    for (let i = l.points.length - 1; i >= 0; i--) if (l.points[i][1] !== null) return l.points[i][1] as number;
    return null;
  };
  const clock = (t: number) => new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return html`<figure class="pool-chart">
    <figcaption>
      <b>${p.title}</b>
      ${p.lines.map((l) => {
        const v = latest(l);
        return html`<span class="legend ${l.cls}">${l.label}${v === null ? '' : ` ${fmt(v)}`}</span>`;
      })}
      ${p.limit ? html`<span class="legend limit">${p.limit.label}</span>` : null}
      ${p.saturated?.length ? html`<span class="legend saturated">pool saturated</span>` : null}
    </figcaption>
    <svg viewBox="0 0 ${W} ${H}" role="img" aria-label=${p.title} preserveAspectRatio="none">
      ${(p.outages ?? []).map(
        (o) =>
          html`<rect class="outage" x=${x(o.from)} y=${PAD.top} width=${Math.max(2, x(o.to) - x(o.from))}
            height=${H - PAD.top - PAD.bottom}><title>unreachable: ${o.reason}</title></rect>`,
      )}
      ${(p.saturated ?? []).map(
        (o) =>
          html`<rect class="saturated" x=${x(o.from)} y=${PAD.top} width=${Math.max(2, x(o.to) - x(o.from))}
            height=${H - PAD.top - PAD.bottom}><title>pool saturated: ${o.why.join('; ')}</title></rect>`,
      )}
      <line class="axis" x1=${PAD.left} x2=${W - PAD.right} y1=${y(0)} y2=${y(0)} />
      <text class="tick" x=${PAD.left - 4} y=${y(max / 1.1) + 4} text-anchor="end">${fmt(max / 1.1)}</text>
      <text class="tick" x=${PAD.left - 4} y=${y(0)} text-anchor="end">0</text>
      <text class="tick" x=${PAD.left} y=${H - 4}>${clock(p.from)}</text>
      <text class="tick" x=${W - PAD.right} y=${H - 4} text-anchor="end">${clock(p.to)}</text>
      ${[...drawn].reverse().flatMap((l) =>
        runs(l.points).map((r) =>
          p.stacked
            ? html`<path class="area ${l.cls}"
                d=${`${path(r, x, y)}L${x(r[r.length - 1][0]).toFixed(1)},${y(0).toFixed(1)}L${x(r[0][0]).toFixed(1)},${y(0).toFixed(1)}Z`} />`
            : r.length === 1
              ? // A lone point (a minute with requests between empty ones) as a dot.
                html`<circle class="dot ${l.cls}" cx=${x(r[0][0]).toFixed(1)} cy=${y(r[0][1]).toFixed(1)} r="2.5" />`
              : html`<path class="line ${l.cls}" d=${path(r, x, y)} />`,
        ),
      )}
      ${p.limit ? html`<path class="limit" d=${path(p.limit.points, x, y)} />` : null}
      ${empty ? html`<text class="tick" x=${W / 2} y=${H / 2} text-anchor="middle">no samples in this window</text>` : null}
    </svg>
  </figure>`;
}
