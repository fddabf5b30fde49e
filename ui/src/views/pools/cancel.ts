// The operator's one action on the Pools view: cancel a backend's query or
// terminate its session. A modal dialog says exactly what will be sent and
// to whom, takes a reason (for the audit log) and the environment's name
// typed, and shows production's answer. The server checks all of it again;
// the dialog only keeps an operator from sending something half-filled.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { call, CommandError } from '../../backend';
import type { Backend } from '../../bindings/Backend';
import type { BackendSignalled } from '../../bindings/BackendSignalled';
import { ConfirmFields, useConfirmation, useModal } from '../../components/confirm';

/** What the operator picked: a backend, and whether to end its session. */
export interface Pick {
  backend: Backend;
  terminate: boolean;
}

/** The two buttons beside a backend. */
export function SignalButtons({ backend, onPick }: { backend: Backend; onPick: (p: Pick) => void }) {
  return html`<span class="signal-buttons">
    <button class="ghost small" title=${`pg_cancel_backend(${backend.pid})`} onClick=${() => onPick({ backend, terminate: false })}>Cancel…</button>
    <button class="ghost small danger" title=${`pg_terminate_backend(${backend.pid})`} onClick=${() => onPick({ backend, terminate: true })}>Terminate…</button>
  </span>`;
}

export function SignalDialog({
  environment,
  pick,
  onClose,
  onAnswered,
}: {
  environment: string;
  pick: Pick;
  onClose: () => void;
  /** After production answered (the audit log has a new entry). */
  onAnswered: () => void;
}) {
  const ref = useModal();
  const c = useConfirmation(environment);
  const [busy, setBusy] = useState(false);
  const [answer, setAnswer] = useState<BackendSignalled | null>(null);
  const [error, setError] = useState<string | null>(null);

  const b = pick.backend;
  const verb = pick.terminate ? 'Terminate' : 'Cancel';
  const ready = c.given && !busy && !answer;

  const send = async (e: Event) => {
    e.preventDefault();
    if (!ready) return;
    setBusy(true);
    setError(null);
    try {
      const r = await call('signal_backend', {
        environment,
        pid: b.pid,
        application: b.application,
        username: b.user,
        terminate: pick.terminate,
        reason: c.reason,
        confirm: c.confirm,
      });
      setAnswer(r);
      onAnswered();
    } catch (err) {
      setError(err instanceof CommandError ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  // Escape closes a modal dialog by itself; keep the view's state in step.
  return html`<dialog ref=${ref} class="signal-dialog" aria-labelledby="signal-title" onClose=${onClose}>
    <form onSubmit=${send}>
      <h2 id="signal-title">${verb} pid ${b.pid} on ${environment}</h2>
      <p>
        ${pick.terminate
          ? html`Sends <code>pg_terminate_backend(${b.pid})</code>: the session ends, its open transaction rolls back and
              its client sees its connection closed.`
          : html`Sends <code>pg_cancel_backend(${b.pid})</code>: its running query stops with an error; the session and its
              connection stay.`}
      </p>
      <dl class="signal-target">
        <dt>application</dt><dd>${b.application || '—'}</dd>
        <dt>user</dt><dd>${b.user}</dd>
        <dt>state</dt><dd>${b.state ?? 'hidden'}</dd>
        ${b.client ? html`<dt>client</dt><dd>${b.client}</dd>` : null}
      </dl>
      <p class="muted">Sent only if pid ${b.pid} still belongs to that application and user when PostgreSQL reads it; the
        intent goes into the audit log first, the answer after.</p>
      <${ConfirmFields} environment=${environment} c=${c} disabled=${!!answer} />
      ${answer
        ? html`<p role="status" class=${answer.result === 'done' ? 'ok-text' : 'error-text'} data-testid="signal-answer">
            ${answer.message} <span class="muted">(audit log entry ${answer.auditSeq})</span></p>`
        : null}
      ${error ? html`<p role="alert" class="error-text" data-testid="signal-error">${error}</p>` : null}
      <div class="dialog-buttons">
        <button type="button" class="ghost" onClick=${() => ref.current?.close()}>${answer ? 'Close' : 'Keep it running'}</button>
        ${answer
          ? null
          : html`<button type="submit" class=${pick.terminate ? 'primary danger' : 'primary'} disabled=${!ready}>
              ${busy ? 'Sending…' : `${verb} pid ${b.pid}`}</button>`}
      </div>
    </form>
  </dialog>`;
}
