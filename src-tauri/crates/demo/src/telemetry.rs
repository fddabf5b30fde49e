//! The demo traces itself with the OpenTelemetry Rust SDK and exports OTLP
//! (HTTP protobuf) to the cockpit, so its data reaches Readyroom exactly as
//! a real service's would: server spans, database client spans, and one LLM
//! client span per upstream attempt with `gen_ai.*` attributes.

use opentelemetry::trace::{SpanKind, Status, TraceContextExt, Tracer, TracerProvider as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_otlp::{Protocol, SpanExporter, WithExportConfig};
use opentelemetry_sdk::trace::{
    BatchConfigBuilder, BatchSpanProcessor, SdkTracer, SdkTracerProvider,
};
use opentelemetry_sdk::Resource;

pub const SERVICE_NAME: &str = "acme-crm-api";

#[derive(Clone)]
pub struct Telemetry {
    provider: SdkTracerProvider,
    tracer: SdkTracer,
    /// "sqlite" or "postgresql", for `db.system`.
    pub db_system: &'static str,
}

impl Telemetry {
    /// Exports to `endpoint` (an OTLP/HTTP base URL such as
    /// `http://127.0.0.1:4318`) when given; otherwise spans are made and dropped.
    pub fn new(endpoint: Option<&str>, db_system: &'static str) -> Result<Telemetry, String> {
        let resource = Resource::builder()
            .with_service_name(SERVICE_NAME)
            .with_attribute(KeyValue::new("deployment.environment.name", "demo"))
            .build();
        let mut builder = SdkTracerProvider::builder().with_resource(resource);
        if let Some(base) = endpoint {
            // Protobuf named, not defaulted: the default follows the
            // crate's features, which another crate in a build can change.
            let exporter = SpanExporter::builder()
                .with_http()
                .with_protocol(Protocol::HttpBinary)
                .with_endpoint(format!("{}/v1/traces", base.trim_end_matches('/')))
                .build()
                .map_err(|e| format!("cannot build the OTLP exporter: {e}"))?;
            // Every second rather than the SDK's 5 s: a demo opened in
            // the app is scored at once, and its first spans should be in.
            let processor = BatchSpanProcessor::builder(exporter)
                .with_batch_config(
                    BatchConfigBuilder::default()
                        .with_scheduled_delay(std::time::Duration::from_secs(1))
                        .build(),
                )
                .build();
            builder = builder.with_span_processor(processor);
        }
        let provider = builder.build();
        let tracer = provider.tracer("readyroom-demo");
        Ok(Telemetry {
            provider,
            tracer,
            db_system,
        })
    }

    /// A SERVER span named `METHOD ROUTE` with `http.route`, or `METHOD`
    /// alone for a request no route matched (OpenTelemetry's HTTP
    /// conventions).
    pub fn server_span(&self, method: &str, route: Option<&str>) -> Context {
        let mut attributes = vec![KeyValue::new("http.request.method", method.to_string())];
        if let Some(route) = route {
            attributes.push(KeyValue::new("http.route", route.to_string()));
        }
        let span = self
            .tracer
            .span_builder(route.map_or_else(|| method.to_string(), |r| format!("{method} {r}")))
            .with_kind(SpanKind::Server)
            .with_attributes(attributes)
            .start(&self.tracer);
        Context::current_with_span(span)
    }

    pub fn db_span(&self, parent: &Context, operation: &str, table: &str) -> Context {
        let span = self
            .tracer
            .span_builder(format!("{operation} {table}"))
            .with_kind(SpanKind::Client)
            .with_attributes([
                KeyValue::new("db.system", self.db_system),
                KeyValue::new("db.operation.name", operation.to_string()),
                KeyValue::new("db.collection.name", table.to_string()),
            ])
            .start_with_context(&self.tracer, parent);
        parent.with_span(span)
    }

    /// Waiting for a connection from the app's pool (`pg-pool.connect`, as
    /// `@opentelemetry/instrumentation-pg` names node-postgres's).
    pub fn acquire_span(&self, parent: &Context) -> Context {
        let span = self
            .tracer
            .span_builder("pg-pool.connect")
            .with_kind(SpanKind::Internal)
            .with_attributes([KeyValue::new("db.system", self.db_system)])
            .start_with_context(&self.tracer, parent);
        parent.with_span(span)
    }

    pub fn llm_span(&self, parent: &Context, model: &str, attempt: u32) -> Context {
        let span = self
            .tracer
            .span_builder(format!("chat {model}"))
            .with_kind(SpanKind::Client)
            .with_attributes([
                KeyValue::new("gen_ai.system", "demo-llm"),
                KeyValue::new("gen_ai.operation.name", "chat"),
                KeyValue::new("gen_ai.request.model", model.to_string()),
                KeyValue::new("readyroom.demo.attempt", i64::from(attempt)),
            ])
            .start_with_context(&self.tracer, parent);
        parent.with_span(span)
    }

    /// Flushes and stops the exporter (blocking; call off the async workers).
    pub fn shutdown(&self) {
        let _ = self.provider.force_flush();
        let _ = self.provider.shutdown();
    }
}

/// Records an HTTP status on a span, marking 5xx (and failures) as errors.
pub fn finish(cx: &Context, status: u16) {
    let span = cx.span();
    span.set_attribute(KeyValue::new(
        "http.response.status_code",
        i64::from(status),
    ));
    if status >= 500 {
        span.set_attribute(KeyValue::new("error.type", status.to_string()));
        span.set_status(Status::error(format!("HTTP {status}")));
    }
    span.end();
}

pub fn end(cx: &Context) {
    cx.span().end();
}

pub fn error(cx: &Context, what: &str) {
    let span = cx.span();
    span.set_attribute(KeyValue::new("error.type", what.to_string()));
    span.set_status(Status::error(what.to_string()));
}

pub fn attribute(cx: &Context, kv: KeyValue) {
    cx.span().set_attribute(kv);
}
