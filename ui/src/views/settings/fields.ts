// One form field of an environment section, and the conversions between
// the file's values (JSON of the TOML) and what an input holds (text).
// Kinds come from the config schema (`FieldKind`), so a key the schema
// adds gets its field without a change here.
import { html } from 'htm/preact';
import type { FieldKind } from '../../bindings/FieldKind';
import type { FormField } from '../../bindings/FormField';

/** What an input shows for a value in the file. */
export function toDraft(kind: FieldKind, value: unknown): string {
  if (value === undefined || value === null) return '';
  switch (kind.type) {
    case 'urlList':
    case 'hostList':
    case 'textList':
      return Array.isArray(value) ? value.map(String).join('\n') : String(value);
    case 'textMap':
      return typeof value === 'object'
        ? Object.entries(value as Record<string, unknown>)
            .map(([k, v]) => `${k} = ${String(v)}`)
            .join('\n')
        : String(value);
    default:
      return typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
}

/**
 * The value to write for what an input holds: `null` (leave the key out)
 * when empty. What does not read as the kind is sent as text, so the
 * config check names the problem rather than the form guessing.
 */
export function fromDraft(kind: FieldKind, text: string): unknown {
  const t = text.trim();
  if (t === '') return null;
  switch (kind.type) {
    case 'integer':
      return /^-?\d+$/.test(t) ? Number(t) : t;
    case 'bool':
      return t === 'true' ? true : t === 'false' ? false : t;
    case 'urlList':
    case 'hostList':
    case 'textList':
      return t
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean);
    case 'textMap': {
      const map: Record<string, string> = {};
      for (const line of t.split('\n')) {
        if (!line.trim()) continue;
        const at = line.indexOf('=');
        const key = (at < 0 ? line : line.slice(0, at)).trim().replace(/^"(.*)"$/, '$1');
        map[key] = at < 0 ? '' : line.slice(at + 1).trim().replace(/^"(.*)"$/, '$1');
      }
      return map;
    }
    default:
      return t;
  }
}

const MULTILINE = new Set(['urlList', 'hostList', 'textList', 'textMap']);

/** The input for one field; secrets have their own (see env-form). */
export function FieldInput({
  field,
  id,
  value,
  onInput,
  invalid,
}: {
  field: FormField;
  id: string;
  value: string;
  onInput: (v: string) => void;
  invalid: boolean;
}) {
  const kind = field.kind;
  const set = (e: Event) => onInput((e.target as HTMLInputElement).value);
  const common = { id, name: field.key, 'aria-invalid': invalid ? 'true' : undefined };
  if (kind.type === 'bool') {
    return html`<select ...${common} value=${value} onChange=${set}>
      <option value="">default${field.default ? ` (${field.default})` : ''}</option>
      <option value="true">true</option>
      <option value="false">false</option>
    </select>`;
  }
  if (kind.type === 'choice') {
    return html`<select ...${common} value=${value} onChange=${set}>
      <option value="">${field.required ? 'choose…' : 'default'}</option>
      ${kind.choices.map((c) => html`<option value=${c}>${c}</option>`)}
    </select>`;
  }
  if (MULTILINE.has(kind.type)) {
    return html`<textarea ...${common} rows="2" value=${value} onInput=${set}
      placeholder=${kind.type === 'textMap' ? 'name = value, one a line' : 'one a line'}></textarea>`;
  }
  // The default is said under the field; a placeholder only hints at the form.
  const placeholder = kind.type === 'integer' ? `${kind.min} to ${kind.max}` : kind.type === 'url' ? 'https://…' : '';
  return html`<input ...${common} type="text" inputmode=${kind.type === 'integer' ? 'numeric' : undefined}
    value=${value} placeholder=${placeholder} onInput=${set} />`;
}
