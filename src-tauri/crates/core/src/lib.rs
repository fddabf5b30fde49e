//! Readyroom's domain: the config model, the rubric, the evidence a scorecard
//! reads, and the scoring itself.
//!
//! Nothing in this crate performs I/O (ARCHITECTURE.md, rule 1): parsing takes
//! strings, evaluation takes evidence and a clock reading. That keeps every
//! judgement the product makes testable without a network or a database.

pub mod audit;
pub mod checks;
pub mod config;
pub mod deploys;
pub mod diff;
pub mod evidence;
pub mod format;
pub mod pools;
pub mod quota;
pub mod redact;
pub mod report;
pub mod rubric;
pub mod scorecard;
pub mod sensitive;
pub mod source_text;
pub mod traces;

pub use sensitive::Sensitive;
