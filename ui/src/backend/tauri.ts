import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import { getCurrentWindow } from '@tauri-apps/api/window';
import type { Event } from '../bindings/Event';
import { CommandError, type Transport } from './types';

/** The desktop shell registers one command, `rpc`, taking `{ cmd, payload }`. */
export function tauriTransport(): Transport {
  return {
    name: 'tauri',
    async call(cmd, payload) {
      try {
        return await invoke('rpc', { request: { cmd, payload } });
      } catch (e) {
        const err = e as { code?: string; message?: string };
        throw new CommandError((err.code as CommandError['code']) ?? 'transport', err.message ?? String(e));
      }
    },
    setTitle(title) {
      document.title = title;
      // The native window keeps its configured title unless told.
      void getCurrentWindow().setTitle(title).catch(() => {});
    },
    onEvent(handler) {
      let stop: (() => void) | undefined;
      let stopped = false;
      void listen<Event>('readyroom', (e) => handler(e.payload)).then((unlisten) => {
        if (stopped) unlisten();
        else stop = unlisten;
      });
      return () => {
        stopped = true;
        stop?.();
      };
    },
  };
}
