// Times and numbers as an operator reads them at a glance.

export function ago(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return 'never';
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} days ago`;
}

// One formatter each: `toLocale…String` with options builds a new one per
// call, which a list of 200 rows pays 200 times.
const CLOCK = new Intl.DateTimeFormat([], { hour: '2-digit', minute: '2-digit' });
const DATE = new Intl.DateTimeFormat([]);
const TIME = new Intl.DateTimeFormat([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });

export function clock(iso: string | null | undefined): string {
  if (!iso) return '—';
  return CLOCK.format(new Date(iso));
}

export function stamp(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return `${DATE.format(d)} ${TIME.format(d)}`;
}

export function num(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

export function signed(v: number): string {
  return `${v > 0 ? '+' : ''}${num(v)}`;
}

/** A duration in microseconds as an operator reads it: µs, ms or s. */
export function micros(us: number): string {
  if (us < 0) return `−${micros(-us)}`;
  if (us < 1000) return `${Math.round(us)} µs`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(us < 10_000 ? 2 : 1)} ms`;
  return `${(us / 1_000_000).toFixed(2)} s`;
}

/** The same from milliseconds. */
export function millis(ms: number): string {
  return micros(ms * 1000);
}
