//! What the scorecard reads about rollbacks: whether the provider could
//! roll production back now, and when a rollback was last rehearsed.

use time::OffsetDateTime;

use crate::evidence::Input;

/// `infra.rollback_ready`'s evidence, read from the provider by a run.
#[derive(Debug, Clone, PartialEq)]
pub struct RollbackReadiness {
    /// `vercel`, `demo`, …
    pub provider: String,
    pub at: OffsetDateTime,
    /// Why the provider could not be used (the credential, the provider's
    /// answer); `None` when it answered.
    pub problem: Option<String>,
    /// What a rollback would do now (`from → to`).
    pub target: Option<String>,
    /// Why there is nothing to roll back to, when there is not.
    pub no_target: Option<String>,
}

/// `rel.rollback_drill`'s evidence, from the local audit log.
#[derive(Debug, Clone, PartialEq)]
pub struct RollbackDrills {
    /// The last rollback (or undo) that production took, or the last dry
    /// run whose pre-flight passed, and which of the two it was.
    pub last: Option<(OffsetDateTime, &'static str)>,
    pub at: OffsetDateTime,
}

pub const DEPLOYS: Input<RollbackReadiness> = Input::new(
    "deploys",
    "configure a deploy provider in [environments.NAME.deploy] (and its token in the keychain)",
);

pub const ROLLBACK_AUDIT: Input<RollbackDrills> = Input::new(
    "rollback_audit",
    "configure a deploy provider in [environments.NAME.deploy]; a rollback or `readyroom rollback --dry-run` then counts as a drill",
);

/// The newest drill in `entries` of `environment`: a completed rollback or
/// undo, or a dry run whose pre-flight passed.
pub fn last_drill(
    entries: &[crate::audit::Entry],
    environment: &str,
) -> Option<(OffsetDateTime, &'static str)> {
    use crate::audit::{ActionResult, Phase};
    entries
        .iter()
        .rev()
        .filter(|e| e.entry.environment == environment && e.entry.phase == Phase::Outcome)
        .filter(|e| super::reconcile::ACTIONS.contains(&e.entry.action.as_str()))
        .find_map(|e| match e.entry.result {
            Some(ActionResult::Done) => Some((e.entry.at, "rollback")),
            Some(ActionResult::DryRun) => Some((e.entry.at, "verified dry run")),
            _ => None,
        })
}
