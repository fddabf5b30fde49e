// The trend from the background sampler's snapshots: who was throttled on
// which of the last days, most days first, with "every day" where a
// workspace was turned away on each day that was sampled (the weekly
// review's "who has been throttled all week"), and each tier's 429s per
// day. Read from the local store, never from production.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { call, CommandError } from '../../backend';
import type { QuotaTrendView } from '../../bindings/QuotaTrendView';
import { count } from './limits';

const DAYS = 7;

const weekday = (day: string) =>
  new Date(`${day}T00:00:00Z`).toLocaleDateString([], { weekday: 'short', timeZone: 'UTC' });

/** `refresh` changes with each reading the view makes: the trend is read
 *  again then (from the local store, so it costs production nothing). */
export function QuotaTrendPanel({ environment, refresh }: { environment: string; refresh: string | null }) {
  const [view, setView] = useState<QuotaTrendView | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    const read = () =>
      call('get_quota_trend', { environment, days: DAYS })
        .then((v) => {
          if (!live) return;
          setView(v);
          setError(null);
        })
        .catch((e) => live && setError(e instanceof CommandError ? e.message : String(e)));
    void read();
    return () => {
      live = false;
    };
  }, [environment, refresh]);

  if (error) return html`<p class="error-text">${error}</p>`;
  if (!view) return html`<p class="muted">Reading the stored snapshots…</p>`;
  const t = view.trend;
  const sampledDays = t.sampled.filter(Boolean).length;
  const meta = html`<p class="muted list-meta" data-trend-meta>
    ${`Sampled on ${sampledDays} of the last ${t.days.length} days (UTC): ${count(t.snapshots)} snapshots, ${count(t.failures)} failed.`}
    ${view.sampling
      ? ` The sampler reads every ${Math.round(view.everyMs / 60_000) || 1} min while Readyroom runs.`
      : ' The sampler is not running in this process: it runs in the desktop app and readyroom serve.'}
    ${view.skipped ? ` ${view.skipped} stored rows could not be read and were skipped.` : ''}
  </p>`;
  if (t.throttled.length === 0)
    return html`${meta}<p class="muted">Nobody was throttled on the days sampled.</p>`;
  return html`${meta}
    <table class="quota-trend">
      <thead>
        <tr>
          <th>workspace</th>
          <th>tier</th>
          ${t.days.map((d, i) => html`<th class=${`day${t.sampled[i] ? '' : ' unsampled'}`} title=${t.sampled[i] ? d : `${d}: not sampled`}>${weekday(d)}</th>`)}
          <th class="num">days</th>
          <th class="num">429s</th>
        </tr>
      </thead>
      <tbody>
        ${t.throttled.map(
          (w) => html`<tr key=${w.workspaceId} data-workspace=${w.workspaceId}>
            <td><b>${w.workspaceName || w.workspaceId}</b>${w.everySampledDay ? html` <span class="badge fail" title="Throttled on every day sampled">every day</span>` : null}</td>
            <td>${w.tier}</td>
            ${w.perDay.map(
              (n, i) => html`<td class=${`day ${n === null ? (t.sampled[i] ? 'clear' : 'unsampled') : 'hit'}`}
                title=${`${t.days[i]}: ${n === null ? (t.sampled[i] ? 'not throttled' : 'not sampled') : `${count(n)} × 429`}`}>${n === null ? '' : count(n)}</td>`,
            )}
            <td class="num">${w.daysThrottled}</td>
            <td class="num">${count(w.total)}</td>
          </tr>`,
        )}
      </tbody>
    </table>`;
}
