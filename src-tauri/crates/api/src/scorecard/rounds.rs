//! One round of probes per environment at a time, shared: a caller that
//! arrives while a round runs waits for the next round and shares it with
//! everyone else who arrived meanwhile. Ten clicks on "Run now" during a
//! run are at most two rounds against production, and every caller still
//! gets evidence gathered after it asked.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};

use super::ScorecardView;
use crate::ApiError;

#[derive(Default)]
pub(crate) struct Rounds {
    /// Rounds started so far.
    started: AtomicU64,
    /// Held while a round runs; holds the last round's result.
    last: tokio::sync::Mutex<Option<Finished>>,
}

struct Finished {
    round: u64,
    result: Result<ScorecardView, ApiError>,
}

impl Rounds {
    pub(crate) async fn run<F>(&self, round: impl FnOnce() -> F) -> Result<ScorecardView, ApiError>
    where
        F: Future<Output = Result<ScorecardView, ApiError>>,
    {
        let started_before = self.started.load(Ordering::SeqCst);
        let mut last = self.last.lock().await;
        // A round that started after this caller arrived is fresh enough.
        if let Some(done) = last.as_ref().filter(|d| d.round > started_before) {
            return done.result.clone();
        }
        let number = self.started.fetch_add(1, Ordering::SeqCst) + 1;
        let result = round().await;
        *last = Some(Finished {
            round: number,
            result: result.clone(),
        });
        result
    }
}
