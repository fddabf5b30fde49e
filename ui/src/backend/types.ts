import type { ApiError } from '../bindings/ApiError';
import type { Event } from '../bindings/Event';

export interface Transport {
  name: 'tauri' | 'http';
  call(cmd: string, payload: unknown): Promise<unknown>;
  onEvent(handler: (event: Event) => void): () => void;
  /** The window's title (the browser tab's, or the desktop window's). */
  setTitle(title: string): void;
}

/** A failed command: the stable code to switch on, and a message for people. */
export class CommandError extends Error {
  constructor(
    public readonly code: ApiError['code'] | 'transport' | 'tokenRequired' | 'foreignOrigin' | 'foreignHost',
    message: string,
  ) {
    super(message);
  }
}

