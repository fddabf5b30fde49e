// The waterfall: every span as a bar on a shared time axis, drawn on a
// canvas over a virtual scroll area (only the rows in view are drawn), a
// minimap of the whole trace, collapse, zoom, search, error and
// critical-path navigation, all from the keyboard too.
import { html } from 'htm/preact';
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { micros } from '../../format';
import {
  AXIS_H,
  colorsFrom,
  drawMinimap,
  drawMinimapView,
  drawWaterfall,
  ROW_H,
  usAt,
  type Colors,
  type Marks,
  type View,
} from './draw';
import { criticalSummary, hasChildren, type Layout, reveal, spanId, step, visibleIndex, visibleRows } from './layout';

const MINIMAP_H = 48;

export interface WaterfallProps {
  layout: Layout;
  theme: 'dark' | 'light';
  /** The selected span's row (-1: none) and how to change it. */
  selected: number;
  onSelect: (row: number) => void;
  /** Rows matching the search, ascending (names here; attributes from the backend). */
  matches: number[];
  searchQuery: string;
  onSearch: (query: string) => void;
}

export function Waterfall({ layout: l, theme, selected, onSelect, matches, searchQuery, onSearch }: WaterfallProps) {
  const [collapsed, setCollapsed] = useState<Set<number>>(() => new Set());
  const [zoom, setZoom] = useState<[number, number]>([0, l.totalUs]);
  const [criticalOnly, setCriticalOnly] = useState(false);
  const scrollRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const miniRef = useRef<HTMLCanvasElement>(null);
  const miniBase = useRef<HTMLCanvasElement | null>(null);
  const searchRef = useRef<HTMLInputElement>(null);
  const size = useRef({ width: 0, height: 0, miniWidth: 0 });
  const frame = useRef(0);
  const painted = useRef(false);
  const colors = useRef<Colors | null>(null);

  useEffect(() => {
    setCollapsed(new Set());
    setZoom([0, l.totalUs]);
    painted.current = false;
  }, [l]);

  const visible = useMemo(() => visibleRows(l, collapsed), [l, collapsed]);
  const matchFlags = useMemo(() => {
    const flags = new Uint8Array(l.n);
    for (const r of matches) flags[r] = 1;
    return flags;
  }, [l, matches]);

  const marks: Marks = { visible, selected, matches: matchFlags, collapsed, criticalOnly };
  const marksRef = useRef(marks);
  marksRef.current = marks;
  const zoomRef = useRef(zoom);
  zoomRef.current = zoom;

  const currentView = useCallback((): View => {
    const { width, height } = size.current;
    return {
      width,
      height,
      dpr: window.devicePixelRatio || 1,
      scrollTop: scrollRef.current?.scrollTop ?? 0,
      labelW: Math.min(420, Math.max(200, Math.round(width * 0.34))),
      t0: zoomRef.current[0],
      t1: zoomRef.current[1],
    };
  }, []);

  // Colours come from the theme's CSS variables, read on the frame after a
  // theme change (the shell sets the theme in an effect); the minimap's
  // picture is redrawn with them, and on resize.
  const drawnTheme = useRef('');
  const miniDirty = useRef(true);
  const draw = useCallback(() => {
    frame.current = 0;
    const canvas = canvasRef.current;
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx || size.current.width === 0) return;
    const current = document.documentElement.dataset.theme ?? theme;
    if (!colors.current || drawnTheme.current !== current) {
      colors.current = colorsFrom(canvas, current !== 'light');
      drawnTheme.current = current;
      miniDirty.current = true;
    }
    const view = currentView();
    const mini = miniRef.current;
    if (mini && miniDirty.current) {
      miniBase.current ??= document.createElement('canvas');
      drawMinimap(miniBase.current, l, size.current.miniWidth, MINIMAP_H, view.dpr, colors.current);
      mini.width = miniBase.current.width;
      mini.height = miniBase.current.height;
      miniDirty.current = false;
    }
    drawWaterfall(ctx, l, view, marksRef.current, colors.current);
    const miniCtx = mini?.getContext('2d');
    if (miniCtx && miniBase.current) drawMinimapView(miniCtx, miniBase.current, l, view, marksRef.current, size.current.miniWidth, MINIMAP_H, colors.current);
    if (!painted.current) {
      painted.current = true;
      performance.mark('readyroom:waterfall-painted');
      canvas.dataset.painted = '1';
    }
  }, [l, theme, currentView]);

  const schedule = useCallback(() => {
    if (!frame.current) frame.current = requestAnimationFrame(draw);
  }, [draw]);

  // The canvases follow the scroll area's size (and the pixel ratio).
  const resize = useCallback(() => {
    const scroll = scrollRef.current;
    const canvas = canvasRef.current;
    const mini = miniRef.current;
    if (!scroll || !canvas || !mini) return;
    const dpr = window.devicePixelRatio || 1;
    const width = scroll.clientWidth;
    const height = scroll.clientHeight;
    size.current = { width, height, miniWidth: mini.clientWidth };
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    canvas.style.height = `${height}px`;
    miniDirty.current = true;
    schedule();
  }, [schedule]);

  useLayoutEffect(() => {
    miniDirty.current = true;
    resize();
    const observer = new ResizeObserver(() => resize());
    if (scrollRef.current) observer.observe(scrollRef.current);
    return () => observer.disconnect();
  }, [resize, l]);

  // Anything the marks or zoom change is drawn on the next frame.
  useEffect(schedule, [schedule, visible, selected, matchFlags, criticalOnly, zoom]);

  const contentHeight = AXIS_H + visible.length * ROW_H;
  const spacer = Math.max(0, contentHeight - size.current.height);

  /** Scrolls so that visible row `v` is in view. */
  const scrollTo = useCallback((v: number) => {
    const scroll = scrollRef.current;
    if (!scroll || v < 0) return;
    const top = v * ROW_H;
    const room = scroll.clientHeight - AXIS_H;
    if (top < scroll.scrollTop) scroll.scrollTop = top;
    else if (top + ROW_H > scroll.scrollTop + room) scroll.scrollTop = top + ROW_H - room;
  }, []);

  /** Selects `row`, expanding its collapsed ancestors and scrolling to it. */
  const go = useCallback(
    (row: number) => {
      if (row < 0) return;
      const shown = reveal(l, collapsed, row);
      if (shown !== collapsed) setCollapsed(shown);
      onSelect(row);
      const rows = shown === collapsed ? visible : visibleRows(l, shown);
      // After the spacer grows, on the next frame.
      requestAnimationFrame(() => scrollTo(visibleIndex(rows, row)));
    },
    [l, collapsed, visible, onSelect, scrollTo],
  );

  const toggle = useCallback(
    (row: number, open?: boolean) => {
      if (!hasChildren(l, row)) return;
      const isCollapsed = collapsed.has(row);
      if (open === !isCollapsed) return;
      const next = new Set(collapsed);
      if (isCollapsed) next.delete(row);
      else next.add(row);
      setCollapsed(next);
    },
    [l, collapsed],
  );

  const zoomTo = useCallback(
    (t0: number, t1: number) => {
      const min = Math.max(1, l.totalUs / 1e6);
      const a = Math.max(0, Math.min(t0, t1));
      const b = Math.min(l.totalUs, Math.max(t0, t1));
      setZoom(b - a < min ? [a, a + min] : [a, b]);
    },
    [l],
  );
  const zoomed = zoom[0] > 0 || zoom[1] < l.totalUs;

  const nextMatch = (forward: boolean) => go(step(matches, selected, forward));
  const nextError = (forward: boolean) => go(step(l.errorRows, selected, forward));

  const onKey = (e: KeyboardEvent) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const target = e.target as HTMLElement | null;
    if (target?.closest('input, select, textarea')) return;
    // Enter and Space on a button or link press it.
    if ((e.key === 'Enter' || e.key === ' ') && target?.closest('button, a')) return;
    const v = visibleIndex(visible, selected);
    const page = Math.max(1, Math.floor((size.current.height - AXIS_H) / ROW_H) - 1);
    const handled = (() => {
      switch (e.key) {
        case 'ArrowDown':
          go(visible[Math.min(visible.length - 1, v + 1)]);
          return true;
        case 'ArrowUp':
          go(visible[Math.max(0, v - 1)]);
          return true;
        case 'PageDown':
          go(visible[Math.min(visible.length - 1, v + page)]);
          return true;
        case 'PageUp':
          go(visible[Math.max(0, v - page)]);
          return true;
        case 'Home':
          go(visible[0]);
          return true;
        case 'End':
          go(visible[visible.length - 1]);
          return true;
        case 'ArrowLeft':
          if (selected >= 0 && hasChildren(l, selected) && !collapsed.has(selected)) toggle(selected, false);
          else if (selected >= 0 && l.parent[selected] >= 0) go(l.parent[selected]);
          return true;
        case 'ArrowRight':
          if (selected >= 0 && collapsed.has(selected)) toggle(selected, true);
          else if (selected >= 0 && hasChildren(l, selected)) go(selected + 1);
          return true;
        case 'Enter':
        case ' ':
          if (selected >= 0) toggle(selected);
          return true;
        case '/':
          searchRef.current?.focus();
          searchRef.current?.select();
          return true;
        case 'n':
          nextMatch(true);
          return true;
        case 'N':
          nextMatch(false);
          return true;
        case 'e':
          nextError(true);
          return true;
        case 'E':
          nextError(false);
          return true;
        case 'c':
          setCriticalOnly((on) => !on);
          return true;
        case 'z':
          if (selected >= 0) zoomTo(l.start[selected], l.start[selected] + Math.max(l.duration[selected], 1));
          return true;
        case '0':
        case 'Escape':
          zoomTo(0, l.totalUs);
          return true;
        default:
          return false;
      }
    })();
    if (handled) {
      e.preventDefault();
      e.stopPropagation();
    }
  };

  const rowAt = (e: MouseEvent): { row: number; x: number } | null => {
    const canvas = canvasRef.current;
    if (!canvas) return null;
    const rect = canvas.getBoundingClientRect();
    const y = e.clientY - rect.top;
    if (y < AXIS_H) return null;
    const v = Math.floor((y - AXIS_H + (scrollRef.current?.scrollTop ?? 0)) / ROW_H);
    if (v < 0 || v >= visible.length) return null;
    return { row: visible[v], x: e.clientX - rect.left };
  };

  const onClick = (e: MouseEvent) => {
    const hit = rowAt(e);
    if (!hit) return;
    const view = currentView();
    const toggleX = 6 + Math.min(l.depth[hit.row] * 12, view.labelW * 0.45);
    if (hit.x >= toggleX - 4 && hit.x <= toggleX + 12 && hasChildren(l, hit.row)) toggle(hit.row);
    onSelect(hit.row);
    scrollRef.current?.focus({ preventScroll: true });
  };

  // Ctrl+wheel zooms around the pointer's time; shift+wheel pans.
  const onWheel = (e: WheelEvent) => {
    if (!e.ctrlKey && !e.shiftKey) return;
    e.preventDefault();
    const view = currentView();
    const rect = canvasRef.current?.getBoundingClientRect();
    const x = rect ? e.clientX - rect.left : view.labelW;
    const [t0, t1] = zoomRef.current;
    const span = t1 - t0;
    if (e.ctrlKey) {
      const at = x > view.labelW ? usAt(view, x) : (t0 + t1) / 2;
      const factor = Math.exp(e.deltaY * 0.002);
      zoomTo(at - (at - t0) * factor, at + (t1 - at) * factor);
    } else {
      const shift = (e.deltaY || e.deltaX) * (span / 1000);
      const a = Math.max(0, Math.min(l.totalUs - span, t0 + shift));
      setZoom([a, a + span]);
    }
  };

  // The minimap: drag across it to zoom to that time range; click to jump there.
  const drag = useRef<number | null>(null);
  const onMiniDown = (e: MouseEvent) => {
    drag.current = e.offsetX;
  };
  const onMiniUp = (e: MouseEvent) => {
    const from = drag.current;
    drag.current = null;
    const mini = miniRef.current;
    if (from === null || !mini) return;
    const scale = l.totalUs / mini.clientWidth;
    if (Math.abs(e.offsetX - from) > 3) {
      zoomTo(from * scale, e.offsetX * scale);
    } else {
      const row = Math.min(l.n - 1, Math.max(0, Math.floor((e.offsetY / MINIMAP_H) * l.n)));
      go(row);
    }
  };

  const summary = useMemo(() => criticalSummary(l), [l]);
  const names = (row: number) => `${l.cols.services[l.service[row]]} ${l.cols.names[l.name[row]]}`;
  const matchPos = matches.indexOf(selected);
  const errorPos = Array.prototype.indexOf.call(l.errorRows, selected) as number;

  return html`
    <section
      class="waterfall"
      data-testid="waterfall"
      data-rows=${visible.length}
      data-selected=${selected >= 0 ? spanId(l, selected) : ''}
      data-zoomed=${zoomed ? '1' : '0'}
      data-critical=${criticalOnly ? '1' : '0'}
      onKeyDown=${onKey}
    >
      <div class="wf-tools" role="toolbar" aria-label="Waterfall">
        <input
          ref=${searchRef}
          type="search"
          placeholder="Search spans: name, service, attribute  ( / )"
          aria-label="Search spans"
          value=${searchQuery}
          onInput=${(e: Event) => onSearch((e.target as HTMLInputElement).value)}
          onKeyDown=${(e: KeyboardEvent) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              nextMatch(!e.shiftKey);
            } else if (e.key === 'Escape') {
              scrollRef.current?.focus();
            }
          }}
        />
        <span class="muted" data-testid="match-count">
          ${!searchQuery.trim()
            ? ''
            : !matches.length
              ? 'no match'
              : matchPos >= 0
                ? `${matchPos + 1} of ${matches.length}`
                : `${matches.length} match${matches.length === 1 ? '' : 'es'}`}
        </span>
        <button onClick=${() => nextMatch(false)} disabled=${!matches.length} title="Previous match (N)">↑</button>
        <button onClick=${() => nextMatch(true)} disabled=${!matches.length} title="Next match (n, Enter)">↓</button>
        <span class="sep"></span>
        <button onClick=${() => nextError(false)} disabled=${!l.errorRows.length} title="Previous error (E)">◀ error</button>
        <button onClick=${() => nextError(true)} disabled=${!l.errorRows.length} title="Next error (e)" data-testid="next-error">
          error ▶
        </button>
        <span class="muted" data-testid="error-count">
          ${l.errorRows.length ? `${errorPos >= 0 ? `${errorPos + 1} of ` : ''}${l.errorRows.length} error${l.errorRows.length === 1 ? '' : 's'}` : 'no errors'}
        </span>
        <span class="sep"></span>
        <button aria-pressed=${criticalOnly} onClick=${() => setCriticalOnly(!criticalOnly)} title="Highlight the critical path (c)">
          Critical path
        </button>
        <button onClick=${() => selected >= 0 && zoomTo(l.start[selected], l.start[selected] + Math.max(l.duration[selected], 1))} disabled=${selected < 0} title="Zoom to the selected span (z)">
          Zoom to span
        </button>
        <button onClick=${() => zoomTo(0, l.totalUs)} disabled=${!zoomed} title="Whole trace (0, Esc)">Reset zoom</button>
        <button onClick=${() => setCollapsed(new Set())} disabled=${collapsed.size === 0}>Expand all</button>
      </div>
      <p class="wf-critical muted" data-testid="critical-summary">
        Critical path: ${summary.spans} span${summary.spans === 1 ? '' : 's'}, ${micros(summary.totalUs)}
        ${summary.heaviest.length > 0 &&
        html` — most in ${summary.heaviest.map(
          (h, i) => html`${i > 0 ? ', ' : ''}<a href="#" onClick=${(e: Event) => (e.preventDefault(), go(h.row))}>${names(h.row)}</a> (${micros(h.us)})`,
        )}`}
      </p>
      <canvas
        ref=${miniRef}
        class="wf-minimap"
        aria-label="Minimap of the whole trace: drag to zoom to a time range, click to jump"
        onMouseDown=${onMiniDown}
        onMouseUp=${onMiniUp}
      ></canvas>
      <div
        ref=${scrollRef}
        class="wf-scroll"
        tabindex="0"
        role="tree"
        aria-label=${`Spans of the trace, ${visible.length} shown. Arrows move, Enter collapses, / searches, e next error, c critical path, z zoom, 0 reset.`}
        aria-activedescendant=${selected >= 0 ? 'wf-active' : undefined}
        onScroll=${schedule}
        onWheel=${onWheel}
      >
        <canvas ref=${canvasRef} class="wf-canvas" onClick=${onClick}></canvas>
        <div class="wf-spacer" style=${{ height: `${spacer}px` }}></div>
        <div id="wf-active" class="sr-only" role="treeitem" aria-live="polite">
          ${selected >= 0 ? `${names(selected)}, ${micros(l.duration[selected])}${l.error[selected] ? ', error' : ''}` : ''}
        </div>
      </div>
      <p class="muted wf-foot">
        ${l.n.toLocaleString()} spans · ${visible.length.toLocaleString()} shown
        · ${zoomed ? `zoomed to ${micros(zoom[0])}–${micros(zoom[1])}` : `whole trace, ${micros(l.totalUs)}`}
      </p>
    </section>
  `;
}
