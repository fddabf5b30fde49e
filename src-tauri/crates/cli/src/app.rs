//! The CLI's handle on the application layer: the same command API the
//! desktop app and `readyroom serve` use, with progress shown on stderr.

use std::io::IsTerminal;
use std::sync::Arc;

use readyroom_api::{paths, Api, Event, EventSink, Settings};

use crate::args::Global;
use crate::exit::Failure;

/// The API for this invocation's config and store.
pub fn api(global: &Global) -> Result<Api, Failure> {
    let store_path = paths::store_file().ok_or_else(|| {
        Failure::error("no data directory for the local store: set READYROOM_DATA_DIR")
    })?;
    Ok(Api::new(
        Settings {
            config_path: paths::config_file(global.config.as_deref()),
            store_path,
            allow_actions: true,
        },
        Arc::new(Progress::new()),
    ))
}

/// Scorecard progress on stderr, only when a person is watching it.
struct Progress {
    watching: bool,
}

impl Progress {
    fn new() -> Self {
        Progress {
            watching: std::io::stderr().is_terminal(),
        }
    }
}

impl EventSink for Progress {
    fn emit(&self, event: Event) {
        if !self.watching {
            return;
        }
        match event {
            Event::ScorecardStarted { .. } => eprint!("probing…"),
            Event::ProbeFinished { probe, .. } => eprint!(" {probe} ✓"),
            Event::ScorecardFinished { .. } | Event::ScorecardFailed { .. } => eprintln!(),
            Event::RollbackProgress { stage, message, .. } => eprintln!("  {stage}: {message}"),
            // Not a run's progress.
            Event::SpansReceived { .. } | Event::PoolsSampled { .. } => {}
        }
    }
}
