// The one place the UI picks its transport: Tauri `invoke` inside the
// desktop app, HTTP against `readyroom serve` in a browser. Views call
// `call` and `onEvent` and never know which one is in use.
import type { Event } from '../bindings/Event';
import { httpTransport } from './http';
import type { Transport } from './types';
import type { CommandName, PayloadOf, Responses } from './responses';
import { tauriTransport } from './tauri';

export { CommandError } from './types';

const inTauri = typeof window !== 'undefined' && '__TAURI_INTERNALS__' in window;
export const transport: Transport = inTauri ? tauriTransport() : httpTransport();

export async function call<K extends CommandName>(cmd: K, payload: PayloadOf<K>): Promise<Responses[K]> {
  return (await transport.call(cmd, payload)) as Responses[K];
}

export function setTitle(title: string): void {
  transport.setTitle(title);
}

export function onEvent(handler: (event: Event) => void): () => void {
  return transport.onEvent(handler);
}
