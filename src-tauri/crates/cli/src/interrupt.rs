//! Ctrl-C for long-running commands (`serve`, `demo`): the first stops
//! gracefully, a second quits at once. An operator pressing Ctrl-C twice
//! in an incident means "now", whatever is still winding down.

use std::future::Future;

use crate::exit::{self, Failure};

/// Waits for the first Ctrl-C.
pub async fn first() -> Result<(), Failure> {
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| Failure::error(format!("cannot wait for Ctrl-C: {e}")))
}

/// Runs `stopping`; a Ctrl-C meanwhile exits the process at once with
/// `exit::INTERRUPTED`. Exiting (rather than returning) is deliberate:
/// returning would wait for the runtime's blocking work, such as a
/// keychain call that does not answer.
pub async fn unless_second<F: Future>(stopping: F) -> F::Output {
    eprintln!("stopping (Ctrl-C again to quit at once)");
    tokio::select! {
        out = stopping => out,
        _ = tokio::signal::ctrl_c() => {
            eprintln!("quit without waiting");
            std::process::exit(i32::from(exit::INTERRUPTED));
        }
    }
}
