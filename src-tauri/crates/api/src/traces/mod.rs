//! Traces in the application: the OTLP receivers' sink into the span
//! store. (Commands and the trace checks come next.)

pub mod receiver;
