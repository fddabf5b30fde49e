//! Helpers for Readyroom's cross-crate integration tests: the real binary,
//! real HTTP(S) targets with chosen misbehaviour, real PostgreSQL and
//! PgBouncer.

pub mod bin;
pub mod fake_postgres;
pub mod otlp;
pub mod pgbouncer;
pub mod postgres;
pub mod serving;
pub mod targets;

pub use bin::{holds, text, Run, TestEnv};
