//! Live updates pushed to the UI: Tauri events on the desktop, a
//! server-sent event stream over HTTP.

use readyroom_core::scorecard::Grade;
use serde::Serialize;
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Event {
    /// A scorecard run began; `probes` is how many probe groups will report.
    ScorecardStarted { environment: String, probes: u32 },
    /// One probe group finished (health, tls, postgres, ...).
    ProbeFinished {
        environment: String,
        probe: String,
        done: u32,
        probes: u32,
    },
    /// A run finished and was stored (by this process or another).
    ScorecardFinished {
        environment: String,
        score: f64,
        grade: Grade,
    },
    /// The run could not be completed.
    ScorecardFailed {
        environment: String,
        message: String,
    },
    /// Spans were received and stored for an environment (`None`:
    /// unattributed) since the last such event; sent at most once a second
    /// per environment, however fast spans arrive.
    SpansReceived {
        environment: Option<String>,
        #[ts(type = "number")]
        spans: u64,
    },
    /// The pool sampler read an environment's pool sources (every few
    /// seconds; every second while its Pools view is open).
    PoolsSampled { environment: String },
    /// A rollback moved on a step: pre-flight, intent written, sent,
    /// accepted, a health poll, verified. `message` is the step in words.
    RollbackProgress {
        environment: String,
        stage: String,
        message: String,
    },
}

/// Where events go. Implemented by each transport.
pub trait EventSink: Send + Sync {
    fn emit(&self, event: Event);
}

/// Drops every event (the CLI shows progress its own way).
pub struct NoEvents;

impl EventSink for NoEvents {
    fn emit(&self, _event: Event) {}
}
