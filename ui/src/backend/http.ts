import type { Event } from '../bindings/Event';
import { CommandError, type Transport } from './types';

const TOKEN_KEY = 'readyroom.token';

/**
 * The launch token arrives in the URL fragment (`#token=...`), which browsers
 * never send to servers. Keep it for this tab and drop it from the address bar.
 */
function takeToken(): string {
  const match = /(?:^#|&)token=([0-9a-f]+)/.exec(window.location.hash);
  if (match) {
    sessionStorage.setItem(TOKEN_KEY, match[1]);
    history.replaceState(null, '', window.location.pathname + window.location.search + '#/scorecard');
    return match[1];
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

export function httpTransport(): Transport {
  const token = typeof window === 'undefined' ? '' : takeToken();
  return {
    name: 'http',
    async call(cmd, payload) {
      let response: Response;
      try {
        // A command carrying a file goes where the body limit is a file's.
        response = await fetch(cmd === 'open_trace_file' ? '/api/upload' : '/api/rpc', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ cmd, payload }),
        });
      } catch (e) {
        throw new CommandError('transport', `Readyroom's server did not answer (${String(e)}). Is \`readyroom serve\` still running?`);
      }
      if (response.ok) return response.json();
      // RFC 9457 problem details, with our stable `code`.
      const problem = (await response.json().catch(() => ({}))) as { code?: string; detail?: string; title?: string };
      throw new CommandError(
        (problem.code as CommandError['code']) ?? 'transport',
        problem.detail ?? problem.title ?? `HTTP ${response.status}`,
      );
    },
    setTitle(title) {
      document.title = title;
    },
    onEvent(handler) {
      const source = new EventSource(`/api/events?token=${encodeURIComponent(token)}`);
      source.addEventListener('readyroom', (e) => handler(JSON.parse((e as MessageEvent).data) as Event));
      return () => source.close();
    },
  };
}
