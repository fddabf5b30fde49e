// The rollback dialog: the pre-flight first (credential, provider, target,
// what changes, what the provider does after), then a reason and the
// environment's name typed; "Dry run" or "Roll back". While it runs, each
// step arrives as a `rollbackProgress` event; at the end, production's
// answer, the verification timeline and the one sentence: is production
// healthy now. The server checks all of it again; the dialog only keeps an
// operator from sending something half-filled.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { call, CommandError, onEvent } from '../../backend';
import type { Preflight } from '../../bindings/Preflight';
import type { RollbackOutcome } from '../../bindings/RollbackOutcome';
import { ConfirmFields, useConfirmation, useModal } from '../../components/confirm';
import { clock } from '../../format';
import { PlanLines } from './plan';

/** What the operator asked for: a target (or the default), or the undo. */
export interface Ask {
  target?: string;
  undo: boolean;
}

const RESULT: Record<string, string> = { done: 'Done', notDone: 'Not done', dryRun: 'Dry run' };

export function RollbackDialog({
  environment,
  ask,
  onClose,
  onAnswered,
}: {
  environment: string;
  ask: Ask;
  onClose: () => void;
  /** After an answer (the audit log has new entries). */
  onAnswered: () => void;
}) {
  const ref = useModal();
  const c = useConfirmation(environment);
  const [preflight, setPreflight] = useState<Preflight | null>(null);
  const [busy, setBusy] = useState<'dry' | 'real' | null>(null);
  const [steps, setSteps] = useState<{ at: number; stage: string; message: string }[]>([]);
  const [answer, setAnswer] = useState<RollbackOutcome | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    call('preflight_rollback', { environment, target: ask.target, undo: ask.undo })
      .then(setPreflight)
      .catch((e) => setError(e instanceof CommandError ? e.message : String(e)));
  }, [environment, ask.target, ask.undo]);
  useEffect(
    () =>
      onEvent((e) => {
        if (e.type === 'rollbackProgress' && e.environment === environment && busy)
          setSteps((s) => [...s, { at: Date.now(), stage: e.stage, message: e.message }]);
      }),
    [environment, busy],
  );

  const verb = ask.undo ? 'Undo the last rollback' : 'Roll back';
  const filled = c.given && !busy && !answer;
  const ready = filled && !!preflight?.ready;

  const send = async (dryRun: boolean) => {
    if (!(dryRun ? filled : ready)) return;
    setBusy(dryRun ? 'dry' : 'real');
    setSteps([]);
    setError(null);
    try {
      const r = await call('trigger_rollback', {
        environment,
        target: ask.target,
        undo: ask.undo,
        reason: c.reason,
        confirm: c.confirm,
        dryRun,
      });
      setAnswer(r);
      onAnswered();
    } catch (err) {
      setError(err instanceof CommandError ? err.message : String(err));
    } finally {
      setBusy(null);
    }
  };

  const plan = preflight?.plan;
  const healthy = answer?.verification?.outcome.outcome;
  return html`<dialog ref=${ref} class="signal-dialog rollback-dialog" aria-labelledby="rollback-title" onClose=${onClose}>
    <form onSubmit=${(e: Event) => {
      e.preventDefault();
      void send(false);
    }}>
      <h2 id="rollback-title">${verb} on ${environment}</h2>
      ${!preflight && !error ? html`<p class="muted">Running the pre-flight…</p>` : null}
      ${preflight
        ? html`<ul class="preflight" data-testid="preflight">
            ${preflight.steps.map(
              (s) => html`<li class=${s.ok ? 'ok-text' : 'error-text'}><b>${s.ok ? '✓' : '✗'} ${s.name}</b> ${s.detail}</li>`,
            )}
          </ul>`
        : null}
      ${plan ? html`<${PlanLines} plan=${plan} />` : null}
      <p class="muted">The intent goes into the audit log before anything is sent, the answer and the health seen after
        it when they come. A dry run runs the pre-flight and records it; nothing is sent.</p>
      <${ConfirmFields} environment=${environment} c=${c} disabled=${!!answer} />
      ${steps.length
        ? html`<ol class="progress" data-testid="rollback-progress">
            ${steps.map((s) => html`<li><span class="muted">${s.stage}</span> ${s.message}</li>`)}
          </ol>`
        : null}
      ${answer
        ? html`<div role="status" data-testid="rollback-answer">
            <p class=${answer.result === 'done' && healthy !== 'notHealthy' ? 'ok-text' : answer.result === 'dryRun' ? '' : 'error-text'}>
              <b>${answer.result ? RESULT[answer.result] : 'Outcome unknown'}:</b> ${answer.message}${' '}<span class="muted">(audit log entries ${answer.intentSeq}–${answer.auditSeq})</span>
            </p>
            ${answer.verification?.polls.length
              ? html`<ol class="timeline" data-testid="verification">
                  ${answer.verification.polls.map(
                    (p) => html`<li class=${p.verdict.verdict === 'healthy' ? 'ok-text' : ''}>
                      ${clock(p.at)} +${(p.afterMs / 1000).toFixed(1)} s · ${verdictWords(p.verdict)}</li>`,
                  )}
                </ol>`
              : null}
          </div>`
        : null}
      ${error ? html`<p role="alert" class="error-text" data-testid="rollback-error">${error}</p>` : null}
      <div class="dialog-buttons">
        <button type="button" class="ghost" onClick=${() => ref.current?.close()}>${answer ? 'Close' : 'Cancel'}</button>
        ${answer
          ? null
          : html`<button type="button" class="ghost" disabled=${!filled} onClick=${() => void send(true)}>
                ${busy === 'dry' ? 'Checking…' : 'Dry run'}</button>
              <button type="submit" class="primary danger" disabled=${!ready}>
                ${busy === 'real' ? 'Rolling back…' : verb}</button>`}
      </div>
    </form>
  </dialog>`;
}

type Verdict = NonNullable<RollbackOutcome['verification']>['polls'][number]['verdict'];

export function verdictWords(v: Verdict): string {
  switch (v.verdict) {
    case 'healthy':
      return 'healthy';
    case 'degraded':
      return `degraded: ${v.why}`;
    case 'otherRelease':
      return `healthy, but still serving ${v.serving}`;
    case 'down':
      return `down: ${v.why}`;
  }
}
