"""Exports one trace with the OpenTelemetry Python SDK and prints what it
sent as JSON, for tests/traces/python.rs to compare with what Readyroom
stored.

    python export_trace.py http|grpc ENDPOINT

`http` is OTLP/HTTP protobuf to ENDPOINT/v1/traces; `grpc` is OTLP/gRPC
(gzip) to ENDPOINT. The trace: a SERVER span with a failing CLIENT child
carrying an exception event, at fixed times.
"""

import json
import sys

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode, set_span_in_context


def exporter(protocol, endpoint):
    if protocol == "http":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces")
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.exporter import Compression
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter(endpoint=endpoint, insecure=True, compression=Compression.Gzip)
    raise SystemExit(f"unknown protocol {protocol!r}: use http or grpc")


def main():
    protocol, endpoint = sys.argv[1], sys.argv[2]
    resource = Resource.create(
        {"service.name": "billing-py", "deployment.environment.name": "prod", "service.version": "3.1.4"}
    )
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(SimpleSpanProcessor(exporter(protocol, endpoint)))
    tracer = provider.get_tracer("readyroom-tests")

    start = 1_700_000_000_000_000_000
    root = tracer.start_span(
        "POST /invoices",
        kind=SpanKind.SERVER,
        start_time=start,
        attributes={"http.route": "/invoices", "http.response.status_code": 201, "retry": True},
    )
    child = tracer.start_span(
        "INSERT invoices",
        kind=SpanKind.CLIENT,
        context=set_span_in_context(root),
        start_time=start + 2_000_000,
        attributes={"db.system": "postgresql", "db.rows": 1.5},
    )
    child.add_event(
        "exception",
        {"exception.type": "UniqueViolation", "exception.message": "duplicate key"},
        timestamp=start + 3_000_000,
    )
    child.set_status(Status(StatusCode.ERROR, "duplicate key"))
    child.end(end_time=start + 4_000_000)
    root.end(end_time=start + 9_000_000)
    provider.shutdown()

    def ids(span):
        ctx = span.get_span_context()
        return f"{ctx.trace_id:032x}", f"{ctx.span_id:016x}"

    trace_id, root_id = ids(root)
    _, child_id = ids(child)
    print(json.dumps({"traceId": trace_id, "rootId": root_id, "childId": child_id, "start": start}))


if __name__ == "__main__":
    main()
