//! An interrupted rollback: its intent was written, its outcome never was
//! (Readyroom stopped in between, or the provider's answer was lost). What
//! the provider shows now settles it.

use crate::audit::{ActionResult, Entry, Phase};

/// The actions a deploy provider takes, as the audit log names them.
pub const ACTIONS: &[&str] = &["rollback", "undo_rollback"];

/// The outcome an unanswered rollback intent gets, given the deployment
/// serving production now; `None` when that cannot settle it (the
/// provider does not list, or its intent recorded no target).
pub fn settle(intent: &Entry, current: Option<&str>) -> Option<(ActionResult, String)> {
    let facts = intent.entry.deploy.as_ref()?;
    if intent.entry.phase != Phase::Intent || !ACTIONS.contains(&intent.entry.action.as_str()) {
        return None;
    }
    if facts.dry_run {
        return Some((
            ActionResult::DryRun,
            "reconciled: a dry run sends nothing, so nothing changed".into(),
        ));
    }
    let to = facts.to.as_deref()?;
    let current = current?;
    Some(if current == to {
        (
            ActionResult::Done,
            format!("reconciled: the provider shows {to} serving production, so the rollback took effect"),
        )
    } else if facts.from.as_deref() == Some(current) {
        (
            ActionResult::NotDone,
            format!("reconciled: {current} still serves production, so the rollback did not take effect"),
        )
    } else {
        (
            ActionResult::NotDone,
            format!("reconciled: {current} serves production now, neither the rollback's target {to} nor what it left; something else moved production since"),
        )
    })
}

#[cfg(test)]
mod tests {
    use time::OffsetDateTime;

    use super::*;
    use crate::audit::{hash, DeployFacts, NewEntry, GENESIS};

    fn intent(dry_run: bool, to: Option<&str>) -> Entry {
        let entry = NewEntry {
            id: "i".into(),
            at: OffsetDateTime::UNIX_EPOCH,
            environment: "production".into(),
            operator: "dana@ops-laptop".into(),
            action: "rollback".into(),
            phase: Phase::Intent,
            intent: None,
            target: "d4 → d2".into(),
            reason: "bad release".into(),
            result: None,
            detail: String::new(),
            deploy: Some(DeployFacts {
                provider: "vercel".into(),
                from: Some("d4".into()),
                to: to.map(str::to_string),
                dry_run,
                provider_status: None,
                verification: None,
                healthy: None,
                reconciled: false,
            }),
        };
        Entry {
            seq: 1,
            hash: hash(GENESIS, 1, &entry),
            prev_hash: GENESIS.into(),
            entry,
        }
    }

    #[test]
    fn what_serves_now_settles_an_interrupted_rollback() {
        let i = intent(false, Some("d2"));
        assert_eq!(
            settle(&i, Some("d2")).map(|s| s.0),
            Some(ActionResult::Done)
        );
        let (result, words) = settle(&i, Some("d4")).expect("settled");
        assert_eq!(result, ActionResult::NotDone);
        assert!(words.contains("d4 still serves"), "{words}");
        let (_, words) = settle(&i, Some("d9")).expect("settled");
        assert!(words.contains("something else moved"), "{words}");
        assert_eq!(settle(&i, None), None);
        assert_eq!(settle(&intent(false, None), Some("d2")), None);
        assert_eq!(
            settle(&intent(true, Some("d2")), None).map(|s| s.0),
            Some(ActionResult::DryRun)
        );
    }
}
