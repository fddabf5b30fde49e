//! Traces against real parts: the `readyroom otlp` receiver fed by the
//! OpenTelemetry Rust SDK and by hostile clients, read back from the span
//! store. One test binary, modules by area.

mod llm;
mod python;
mod receive;
mod remote;
mod remote_checks;
mod service;
mod traceql;
mod volume;
mod waterfall;
