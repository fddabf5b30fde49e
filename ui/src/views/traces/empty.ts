// What an empty trace list teaches: how to send spans here (the
// receiver's real addresses, the protocol, the resource attribute that
// picks the environment), why the receiver is not listening, or how to
// place spans that arrived without an environment.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { call } from '../../backend';
import type { ReceiverStatus } from '../../bindings/ReceiverStatus';
import type { TraceListView } from '../../bindings/TraceListView';

export function NoTraces({ view, filtered }: { view: TraceListView; filtered: boolean }) {
  const [receiver, setReceiver] = useState<ReceiverStatus | null>(null);
  useEffect(() => {
    call('get_receiver_status', {})
      .then(setReceiver)
      .catch(() => setReceiver(null));
  }, []);

  if (filtered) {
    return html`<div class="panel empty" data-testid="no-traces">
      <h2>No trace matches these filters</h2>
      <p>Nothing from <b>${view.environment}</b> in the last ${view.windowMinutes} min in ${view.source} matches. Widen the time window or clear a filter.</p>
    </div>`;
  }
  if (view.attributionHint) {
    return html`<div class="panel empty warning" data-testid="no-traces">
      <h2>Spans arrived, but not for ${view.environment}</h2>
      <p>${view.attributionHint}</p>
    </div>`;
  }
  const http = receiver?.listening.find((l) => l.protocol === 'OTLP/HTTP');
  const grpc = receiver?.listening.find((l) => l.protocol === 'OTLP/gRPC');
  const endpoint = http ? `http://${http.address}` : grpc ? `http://${grpc.address}` : 'http://127.0.0.1:4318';
  const protocol = http ? 'http/protobuf' : grpc ? 'grpc' : 'http/protobuf';
  return html`<div class="panel empty" data-testid="no-traces">
    <h2>No traces from ${view.environment} yet</h2>
    <p>Nothing arrived in the last ${view.windowMinutes} min in ${view.source}.</p>
    ${receiver?.state === 'failed' &&
    html`<div class="panel error" role="alert">
      <p><b>Readyroom's OTLP receiver is not listening.</b></p>
      <ul>${receiver.problems.map((p) => html`<li>${p}</li>`)}</ul>
    </div>`}
    ${receiver?.state === 'off' &&
    html`<p class="warning">The OTLP receiver is off in this config (<code>[settings.otlp] enabled = false</code>); turn it on to receive spans here.</p>`}
    ${receiver?.state === 'notStarted' &&
    html`<p class="muted">The OTLP receiver runs while the desktop app or <code>readyroom serve</code> runs.</p>`}
    <h3>Point an OpenTelemetry SDK at Readyroom</h3>
    <p>
      ${receiver?.listening.length
        ? html`Receiving on ${receiver.listening.map((l, i) => html`${i > 0 ? ' and ' : ''}<b>${l.protocol}</b> <code>${l.address}</code>`)}.`
        : html`By default Readyroom receives OTLP/HTTP on <code>127.0.0.1:4318</code> and OTLP/gRPC on <code>127.0.0.1:4317</code>.`}
      Set these in the service's environment:
    </p>
    <pre class="snippet" data-testid="sdk-snippet">OTEL_EXPORTER_OTLP_ENDPOINT=${endpoint}
OTEL_EXPORTER_OTLP_PROTOCOL=${protocol}
OTEL_RESOURCE_ATTRIBUTES=deployment.environment.name=${view.environment}</pre>
    <p class="muted">
      <code>deployment.environment.name</code> is what places a span in an environment; spans without it are kept and
      listed as unattributed (or placed by an <code>[environments.NAME.traces.match]</code> rule). Or open an OTLP/JSON file
      above to read a trace someone sent you.
    </p>
  </div>`;
}
