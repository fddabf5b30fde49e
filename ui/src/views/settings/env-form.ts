// The form of one environment: a section per table of `[environments.NAME]`
// (its own keys first), each key with its meaning and default, checked as
// typed by the same rules as `config check` (`check_config_edits`), a Test
// connection per section (the form's values, saved or not), secrets typed
// straight into the keychain, and Save (comments and unknown keys kept;
// a file changed on disk meanwhile is not overwritten).
import { html } from 'htm/preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { call, CommandError } from '../../backend';
import type { ConfigEdit } from '../../bindings/ConfigEdit';
import type { ConnectionTest } from '../../bindings/ConnectionTest';
import type { EnvironmentForm } from '../../bindings/EnvironmentForm';
import type { FormField } from '../../bindings/FormField';
import type { FormSection } from '../../bindings/FormSection';
import type { Problem } from '../../bindings/Problem';
import type { SecretStatusRow } from '../../bindings/SecretStatusRow';
import { FieldInput, fromDraft, toDraft } from './fields';

type Drafts = Record<string, string>;
const slot = (section: string, key: string) => (section ? `${section}.${key}` : key);

function sectionValues(values: Record<string, unknown>, section: FormSection): Record<string, unknown> {
  if (!section.key) return values;
  const v = values[section.key];
  return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
}

function draftsOf(form: EnvironmentForm): Drafts {
  const drafts: Drafts = {};
  for (const section of form.sections) {
    const values = sectionValues(form.values, section);
    for (const f of section.fields) drafts[slot(section.key, f.key)] = toDraft(f.kind, values[f.key]);
  }
  return drafts;
}

/** The edits that turn the file's values into the drafts. */
function editsOf(environment: string, form: EnvironmentForm, saved: Drafts, drafts: Drafts): ConfigEdit[] {
  const edits: ConfigEdit[] = [];
  for (const section of form.sections) {
    for (const f of section.fields) {
      const at = slot(section.key, f.key);
      if ((drafts[at] ?? '') === (saved[at] ?? '')) continue;
      edits.push({
        op: 'set',
        environment,
        section: section.key || undefined,
        key: f.key,
        value: fromDraft(f.kind, drafts[at] ?? ''),
      });
    }
  }
  return edits;
}

/** The problems that belong to a field (`…health_urls[1]` is health_urls'). */
function problemsAt(problems: Problem[], path: string): Problem[] {
  return problems.filter((p) => p.path === path || p.path.startsWith(`${path}[`) || p.path.startsWith(`${path}.`));
}

export function EnvironmentFormView({ environment, onSaved }: { environment: string; onSaved: () => void }) {
  const [form, setForm] = useState<EnvironmentForm | null>(null);
  const [saved, setSaved] = useState<Drafts>({});
  const [drafts, setDrafts] = useState<Drafts>({});
  const [problems, setProblems] = useState<Problem[]>([]);
  const [secrets, setSecrets] = useState<SecretStatusRow[]>([]);
  const [stored, setStored] = useState<Set<string>>(new Set());
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [tests, setTests] = useState<Record<string, ConnectionTest | string>>({});

  const load = async () => {
    setError(null);
    try {
      const f = await call('get_environment_form', { environment });
      const d = draftsOf(f);
      setForm(f);
      setSaved(d);
      setDrafts(d);
      setProblems([]);
      const s = await call('list_secrets', { environment }).catch(() => null);
      setSecrets(s?.secrets ?? []);
    } catch (e) {
      setError(e instanceof CommandError ? e.message : String(e));
    }
  };
  useEffect(() => {
    setForm(null);
    setTests({});
    setNotice(null);
    setError(null);
    void load();
  }, [environment]);

  const edits = useMemo(() => (form ? editsOf(environment, form, saved, drafts) : []), [form, saved, drafts, environment]);

  // Checked as typed, a moment after typing stops; the answer to an older
  // check never replaces a newer one.
  const checkSeq = useRef(0);
  useEffect(() => {
    if (!form) return;
    const seq = ++checkSeq.current;
    if (edits.length === 0) {
      setProblems([]);
      return;
    }
    const t = setTimeout(() => {
      call('check_config_edits', { edits })
        .then((r) => seq === checkSeq.current && setProblems(r.problems))
        .catch((e) => seq === checkSeq.current && setError(e instanceof CommandError ? e.message : String(e)));
    }, 250);
    return () => clearTimeout(t);
  }, [edits, form]);

  if (error && !form) return html`<p class="error-text" role="alert">${error}</p>`;
  if (!form) return html`<p class="muted">Loading…</p>`;

  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      const file = await call('edit_config', { edits, revision: form.revision });
      setNotice(`Saved to ${file.path}${file.backup ? ` (the previous file is kept as ${file.backup})` : ''}.`);
      await load();
      onSaved();
    } catch (err) {
      setError(err instanceof CommandError ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  const test = async (section: FormSection) => {
    if (!section.test) return;
    setTests((t) => ({ ...t, [section.key]: 'testing…' }));
    try {
      const r = await call('test_connection', { environment, source: section.test, edits });
      setTests((t) => ({ ...t, [section.key]: r }));
    } catch (err) {
      setTests((t) => ({ ...t, [section.key]: err instanceof CommandError ? err.message : String(err) }));
    }
  };
  const storeSecret = async (name: string, value: string) => {
    const r = await call('set_secret', { name, value });
    setStored((s) => new Set(s).add(r.name));
    const s = await call('list_secrets', { environment }).catch(() => null);
    if (s) setSecrets(s.secrets);
  };

  const setDraft = (at: string, v: string) => setDrafts((d) => ({ ...d, [at]: v }));
  const general = problems.filter((p) => !p.path.startsWith(`environments.${environment}.`));

  return html`<form class="env-form" data-testid="env-form" onSubmit=${save} autocomplete="off">
    <p class="muted">Editing <code>[environments.${environment}]</code> in <code>${form.path}</code>. Comments, order and keys this form does not show are kept.</p>
    ${form.sections.map((section) => {
      const present = !section.key || form.values[section.key] !== undefined;
      const result = tests[section.key];
      // Sections not set up start folded, so the form shows what is there.
      return html`<details class="env-section" data-section=${section.key || 'environment'} open=${present}>
        <summary>${section.title}${present ? '' : html` <small class="muted">not set up: open to add it</small>`}</summary>
        <p class="muted">${section.about}</p>
        ${section.fields.map((f) => {
          const at = slot(section.key, f.key);
          const path = `environments.${environment}.${at}`;
          const mine = problemsAt(problems, path);
          const id = `field-${environment}-${at}`.replace(/[^\w-]/g, '-');
          return html`<div class="env-field" data-key=${at}>
            <label for=${id}><code>${f.key}</code>${f.required ? html` <small>required</small>` : ''}</label>
            ${f.kind.type === 'secret'
              ? html`<${SecretField} field=${f} id=${id} environment=${environment} section=${section.key}
                  value=${drafts[at] ?? ''} onInput=${(v: string) => setDraft(at, v)}
                  status=${secretStatus(drafts[at] ?? '', saved[at] ?? '', secrets, stored)}
                  onStore=${storeSecret} invalid=${mine.length > 0} />`
              : html`<${FieldInput} field=${f} id=${id} value=${drafts[at] ?? ''} invalid=${mine.length > 0}
                  onInput=${(v: string) => setDraft(at, v)} />`}
            <small class="muted meaning">${f.meaning}${f.default ? html` <span class="default">Default: ${f.default}.</span>` : ''}</small>
            ${mine.map((p) => html`<small class="error-text" role="alert" data-problem=${p.path}>${p.message}</small>`)}
          </div>`;
        })}
        ${section.test
          ? html`<div class="actions">
              <button type="button" class="ghost" onClick=${() => void test(section)}>Test connection</button>
              ${result
                ? typeof result === 'string'
                  ? html`<span class="muted" role="status" data-testid="section-test">${result}</span>`
                  : html`<span class=${result.ok ? 'ok-text' : 'error-text'} role="status" data-testid="section-test">
                      ${result.ok ? '✓' : '✗'} ${result.message}</span>`
                : ''}
            </div>`
          : ''}
      </details>`;
    })}
    ${general.map((p) => html`<p class="error-text" role="alert">${p.path ? html`<code>${p.path}</code> ` : ''}${p.message}</p>`)}
    <div class="actions sticky">
      <button type="submit" class="primary" disabled=${busy || edits.length === 0 || problems.length > 0}>
        Save${edits.length ? ` (${edits.length} change${edits.length === 1 ? '' : 's'})` : ''}
      </button>
      <button type="button" class="ghost" disabled=${busy} onClick=${() => void load()}
        title="Read the file again and drop the changes not saved">Discard changes</button>
      ${notice ? html`<span class="ok-text" role="status" data-testid="env-saved">${notice}</span>` : ''}
      ${error ? html`<span class="error-text" role="alert" data-testid="env-error">${error}</span>` : ''}
    </div>
  </form>`;
}

type Status = 'set' | 'not set' | 'unsaved name' | '';

function secretStatus(name: string, savedName: string, rows: SecretStatusRow[], stored: Set<string>): Status {
  const n = name.trim();
  if (!n) return '';
  if (stored.has(n)) return 'set';
  const row = rows.find((r) => r.name === n);
  if (row) return row.set ? 'set' : 'not set';
  return n === savedName ? 'not set' : 'unsaved name';
}

/**
 * A keychain entry's name (what the file holds) and, beside it, its value:
 * typed into a password field and sent straight to the keychain, never
 * into the file, the page or the form's state after it is stored.
 */
function SecretField({
  field,
  id,
  environment,
  section,
  value,
  onInput,
  status,
  onStore,
  invalid,
}: {
  field: FormField;
  id: string;
  environment: string;
  section: string;
  value: string;
  onInput: (v: string) => void;
  status: Status;
  onStore: (name: string, value: string) => Promise<void>;
  invalid: boolean;
}) {
  const [secret, setSecret] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const suggestion = `${environment}/${section === 'postgres' ? 'database-url' : section === 'pgbouncer' ? 'pgbouncer-url' : `${section}-token`}`;
  const store = async () => {
    setBusy(true);
    setError(null);
    try {
      await onStore(value.trim(), secret);
      setSecret('');
    } catch (e) {
      setError(e instanceof CommandError ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  return html`<div class="secret-field">
    <input id=${id} name=${field.key} value=${value} placeholder=${suggestion} aria-invalid=${invalid ? 'true' : undefined}
      onInput=${(e: Event) => onInput((e.target as HTMLInputElement).value)} />
    ${status
      ? html`<span class=${status === 'set' ? 'ok-text' : 'muted'} data-testid="secret-status">${status === 'unsaved name' ? 'not stored yet' : status}</span>`
      : ''}
    ${value.trim()
      ? html`<input type="password" aria-label=${`Value of ${value.trim()}`} placeholder="value (goes to the keychain)" value=${secret}
            onInput=${(e: Event) => setSecret((e.target as HTMLInputElement).value)} />
          <button type="button" class="ghost" disabled=${busy || !secret} onClick=${() => void store()}
            aria-label=${`Store ${value.trim()} in the keychain`}>Store</button>`
      : ''}
    ${error ? html`<small class="error-text" role="alert">${error}</small>` : ''}
  </div>`;
}
