import { html } from 'htm/preact';

export function Coming({ area }: { area: string }) {
  return html`
    <section class="panel coming">
      <h2>${area}</h2>
      <p>Coming with its own issue (see the roadmap). The scorecard already reports which of its checks wait for this.</p>
    </section>
  `;
}
