// What every action against production asks for before it is sent: a
// reason for the audit log and the environment's name typed exactly, in a
// modal dialog. Shared by the Pools view's cancel and the Deploys view's
// rollback; the server checks both again.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';

/** A `<dialog>` shown modally while the component is mounted. */
export function useModal() {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => d?.close();
  }, []);
  return ref;
}

/** The reason and the typed name, and whether both are given. */
export function useConfirmation(environment: string) {
  const [reason, setReason] = useState('');
  const [confirm, setConfirm] = useState('');
  return {
    reason,
    confirm,
    setReason,
    setConfirm,
    given: reason.trim() !== '' && confirm === environment,
  };
}

export function ConfirmFields({
  environment,
  c,
  disabled,
}: {
  environment: string;
  c: ReturnType<typeof useConfirmation>;
  disabled: boolean;
}) {
  return html`<label><span>Reason (for the audit log)</span>
      <textarea aria-label="Reason" rows="2" required value=${c.reason} disabled=${disabled}
        onInput=${(e: Event) => c.setReason((e.target as HTMLTextAreaElement).value)}></textarea>
    </label>
    <label><span>Type <b>${environment}</b> to confirm</span>
      <input aria-label="Environment name" autocomplete="off" spellcheck=${false} value=${c.confirm} disabled=${disabled}
        onInput=${(e: Event) => c.setConfirm((e.target as HTMLInputElement).value)} />
    </label>`;
}
