// Drawing the waterfall and its minimap on canvases: only the rows in view
// are drawn, so a frame costs the same at 50 or 200,000 spans.
import { micros } from '../../format';
import { hasChildren, type Layout } from './layout';

export const ROW_H = 22;
export const AXIS_H = 24;
const INDENT = 12;

/** What is in view: the canvas's CSS size, the scroll and the time range (µs). */
export interface View {
  width: number;
  height: number;
  dpr: number;
  scrollTop: number;
  labelW: number;
  t0: number;
  t1: number;
}

export interface Marks {
  visible: Int32Array;
  selected: number;
  /** 1 for each row matching the search. */
  matches: Uint8Array;
  collapsed: Set<number>;
  criticalOnly: boolean;
}

export interface Colors {
  bg: string;
  panel: string;
  border: string;
  text: string;
  muted: string;
  accent: string;
  fail: string;
  match: string;
  services: string[];
}

// Ten hues that read on both themes.
const SERVICE_HUES = [210, 145, 30, 280, 175, 330, 90, 250, 0, 55];

export function colorsFrom(element: Element, dark: boolean): Colors {
  const css = getComputedStyle(element);
  const v = (name: string) => css.getPropertyValue(name).trim();
  return {
    bg: v('--panel'),
    panel: v('--panel-2'),
    border: v('--border'),
    text: v('--text'),
    muted: v('--muted'),
    accent: v('--accent'),
    fail: v('--fail'),
    match: v('--partial'),
    services: SERVICE_HUES.map((h) => `hsl(${h} ${dark ? '55% 58%' : '60% 42%'})`),
  };
}

export function serviceColor(colors: Colors, service: number): string {
  return colors.services[service % colors.services.length];
}

/** The first visible row index drawn and how many fit. */
export function rowsInView(view: View, rows: number): [number, number] {
  const first = Math.max(0, Math.floor(view.scrollTop / ROW_H));
  const count = Math.ceil((view.height - AXIS_H) / ROW_H) + 1;
  return [first, Math.min(rows, first + count)];
}

/** A round step for about `target` ticks over `span` µs. */
function tickStep(span: number, target: number): number {
  const raw = span / target;
  const pow = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (raw <= m * pow) return m * pow;
  return 10 * pow;
}

export function xOf(view: View, us: number): number {
  const timeline = view.width - view.labelW;
  return view.labelW + ((us - view.t0) / (view.t1 - view.t0)) * timeline;
}

export function usAt(view: View, x: number): number {
  const timeline = view.width - view.labelW;
  return view.t0 + ((x - view.labelW) / timeline) * (view.t1 - view.t0);
}

export function drawWaterfall(ctx: CanvasRenderingContext2D, l: Layout, view: View, marks: Marks, c: Colors): void {
  const { width, height, labelW } = view;
  ctx.setTransform(view.dpr, 0, 0, view.dpr, 0, 0);
  ctx.fillStyle = c.bg;
  ctx.fillRect(0, 0, width, height);
  ctx.font = '12px system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif';
  ctx.textBaseline = 'middle';

  // The time axis, with grid lines down through the rows.
  const step = tickStep(view.t1 - view.t0, Math.max(2, Math.floor((width - labelW) / 110)));
  ctx.strokeStyle = c.border;
  ctx.fillStyle = c.muted;
  ctx.lineWidth = 1;
  for (let t = Math.ceil(view.t0 / step) * step; t <= view.t1; t += step) {
    const x = Math.round(xOf(view, t)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(x, AXIS_H - 6);
    ctx.lineTo(x, height);
    ctx.stroke();
    ctx.fillText(micros(t), x + 3, AXIS_H / 2);
  }

  const [first, last] = rowsInView(view, marks.visible.length);
  ctx.save();
  ctx.beginPath();
  ctx.rect(0, AXIS_H, width, height - AXIS_H);
  ctx.clip();
  for (let v = first; v < last; v++) {
    const row = marks.visible[v];
    const y = AXIS_H + v * ROW_H - view.scrollTop;
    drawRow(ctx, l, view, marks, c, row, y);
  }
  ctx.restore();

  // The label column's edge and the axis's base line.
  ctx.strokeStyle = c.border;
  ctx.beginPath();
  ctx.moveTo(labelW + 0.5, 0);
  ctx.lineTo(labelW + 0.5, height);
  ctx.moveTo(0, AXIS_H + 0.5);
  ctx.lineTo(width, AXIS_H + 0.5);
  ctx.stroke();
}

function drawRow(ctx: CanvasRenderingContext2D, l: Layout, view: View, marks: Marks, c: Colors, row: number, y: number): void {
  const { labelW, width } = view;
  if (row === marks.selected) {
    ctx.fillStyle = c.panel;
    ctx.fillRect(0, y, width, ROW_H);
    ctx.fillStyle = c.accent;
    ctx.fillRect(0, y, 3, ROW_H);
  } else if (marks.matches[row]) {
    ctx.globalAlpha = 0.18;
    ctx.fillStyle = c.match;
    ctx.fillRect(0, y, width, ROW_H);
    ctx.globalAlpha = 1;
  }
  const mid = y + ROW_H / 2;
  const dim = marks.criticalOnly && l.critical[row] <= 0;
  ctx.globalAlpha = dim ? 0.3 : 1;

  // Label: indent, the collapse toggle, the service's colour, the name.
  const indent = Math.min(l.depth[row] * INDENT, labelW * 0.45);
  let x = 6 + indent;
  if (hasChildren(l, row)) {
    ctx.fillStyle = c.muted;
    ctx.fillText(marks.collapsed.has(row) ? '▸' : '▾', x, mid);
  }
  x += 12;
  const color = serviceColor(c, l.service[row]);
  ctx.fillStyle = color;
  ctx.fillRect(x, mid - 4, 8, 8);
  x += 13;
  ctx.fillStyle = l.error[row] ? c.fail : c.text;
  const label = `${l.cols.names[l.name[row]]}`;
  const service = l.cols.services[l.service[row]];
  const room = labelW - x - 6;
  const text = fit(ctx, label, room);
  ctx.fillText(text, x, mid);
  const used = ctx.measureText(text).width;
  if (used + 20 < room) {
    ctx.fillStyle = c.muted;
    ctx.fillText(fit(ctx, service, room - used - 8), x + used + 8, mid);
  }

  // The bar on the shared time axis, clipped to the timeline.
  const x0 = Math.max(labelW + 1, xOf(view, l.start[row]));
  const x1 = Math.min(width - 1, xOf(view, l.start[row] + l.duration[row]));
  if (x1 >= labelW && x0 <= width) {
    const w = Math.max(1, x1 - x0);
    ctx.fillStyle = l.error[row] ? c.fail : color;
    ctx.fillRect(x0, y + 5, w, ROW_H - 10);
    if (marks.criticalOnly && !dim) {
      ctx.strokeStyle = c.text;
      ctx.lineWidth = 1.5;
      ctx.strokeRect(x0, y + 5, w, ROW_H - 10);
    }
    const d = micros(l.duration[row]);
    const dw = ctx.measureText(d).width;
    ctx.fillStyle = c.muted;
    if (x1 + 6 + dw < width) ctx.fillText(d, x1 + 6, mid);
    else if (x0 - 6 - dw > labelW) ctx.fillText(d, x0 - 6 - dw, mid);
  }
  ctx.globalAlpha = 1;
}

/** Text cut with an ellipsis to fit `room` pixels. */
function fit(ctx: CanvasRenderingContext2D, text: string, room: number): string {
  if (room <= 0) return '';
  if (ctx.measureText(text).width <= room) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (ctx.measureText(`${text.slice(0, mid)}…`).width <= room) lo = mid;
    else hi = mid - 1;
  }
  return lo > 0 ? `${text.slice(0, lo)}…` : '';
}

/**
 * The whole trace in miniature, drawn once per trace and theme into its own
 * canvas: one line per span (rows squeezed to the height), errors in red.
 */
export function drawMinimap(canvas: HTMLCanvasElement, l: Layout, width: number, height: number, dpr: number, c: Colors): void {
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(height * dpr);
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = c.panel;
  ctx.fillRect(0, 0, width, height);
  const rowH = Math.max(height / Math.max(l.n, 1), 0.5);
  const scale = width / l.totalUs;
  for (let i = 0; i < l.n; i++) {
    ctx.fillStyle = l.error[i] ? c.fail : serviceColor(c, l.service[i]);
    ctx.fillRect(l.start[i] * scale, (i / l.n) * height, Math.max(1, l.duration[i] * scale), Math.max(rowH, 1));
  }
}

/** The minimap with the part in view outlined. */
export function drawMinimapView(
  ctx: CanvasRenderingContext2D,
  base: HTMLCanvasElement,
  l: Layout,
  view: View,
  marks: Marks,
  width: number,
  height: number,
  c: Colors,
): void {
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.drawImage(base, 0, 0);
  ctx.setTransform(view.dpr, 0, 0, view.dpr, 0, 0);
  const [first, last] = rowsInView(view, marks.visible.length);
  const scale = width / l.totalUs;
  const top = marks.visible.length ? (marks.visible[first] / l.n) * height : 0;
  const bottom = marks.visible.length ? ((marks.visible[Math.max(first, last - 1)] + 1) / l.n) * height : height;
  ctx.strokeStyle = c.accent;
  ctx.lineWidth = 1.5;
  ctx.strokeRect(view.t0 * scale + 0.75, top + 0.75, Math.max(2, (view.t1 - view.t0) * scale - 1.5), Math.max(2, bottom - top - 1.5));
}
