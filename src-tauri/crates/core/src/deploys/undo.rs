//! Undo: one step back to the deployment that served production before the
//! last rollback, found in the audit log.

use crate::audit::{ActionResult, Entry, Phase};

/// The rollback an undo reverses, and where it returns production.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UndoTarget {
    /// The audit entry of the rollback's outcome.
    pub rollback_seq: i64,
    /// The deployment the rollback left: the undo's target.
    pub to: String,
    /// The deployment the rollback went to, which should still serve.
    pub from: String,
}

/// The last completed (not dry-run) rollback or undo of `environment`,
/// provided what it moved production to still serves it (`current`).
pub fn undo_target(
    entries: &[Entry],
    environment: &str,
    current: Option<&str>,
) -> Result<UndoTarget, String> {
    let last = entries
        .iter()
        .rev()
        .filter(|e| e.entry.environment == environment)
        .filter(|e| e.entry.phase == Phase::Outcome && e.entry.result == Some(ActionResult::Done))
        .find_map(|e| {
            let facts = e.entry.deploy.as_ref().filter(|f| !f.dry_run)?;
            Some((e.seq, facts.from.clone()?, facts.to.clone()?))
        });
    let Some((seq, before, after)) = last else {
        return Err(format!(
            "the audit log has no completed rollback of {environment} with its deployments recorded, so there is nothing to undo"
        ));
    };
    match current {
        Some(now) if now == after => Ok(UndoTarget {
            rollback_seq: seq,
            to: before,
            from: after,
        }),
        Some(now) => Err(format!(
            "production has moved since the last rollback (entry {seq} moved it to {after}; {now} serves now): undo reverses only the last rollback while its target still serves. Roll back to a chosen deployment instead"
        )),
        None => Err("the provider did not say which deployment serves production, so Readyroom cannot tell whether the last rollback still stands".into()),
    }
}

/// The undo on offer: [`undo_target`] for a provider that lists (what
/// serves, `current`, must be what the last rollback left),
/// [`undo_unlisted`] for one that does not.
pub fn undo_for(
    entries: &[Entry],
    environment: &str,
    lists: bool,
    current: Option<&str>,
) -> Result<UndoTarget, String> {
    if lists {
        undo_target(entries, environment, current)
    } else {
        undo_unlisted(entries, environment)
    }
}

/// The undo offered by a provider that does not list (a webhook, a
/// command): the last completed rollback of `environment`, unless it was
/// already undone. Nothing can say what serves now, so nothing is checked
/// against it; the provider is sent `undo_rollback` and returns to what it
/// calls the release before. `to` and `from` are ids where the rollback
/// named them, words where not.
pub fn undo_unlisted(entries: &[Entry], environment: &str) -> Result<UndoTarget, String> {
    let last = entries
        .iter()
        .rev()
        .filter(|e| e.entry.environment == environment)
        .filter(|e| e.entry.phase == Phase::Outcome && e.entry.result == Some(ActionResult::Done))
        .filter(|e| super::reconcile::ACTIONS.contains(&e.entry.action.as_str()))
        .find(|e| e.entry.deploy.as_ref().is_some_and(|f| !f.dry_run));
    match last {
        None => Err(format!(
            "the audit log has no completed rollback of {environment}, so there is nothing to undo"
        )),
        Some(e) if e.entry.action != "rollback" => Err(format!(
            "the last rollback of {environment} was already undone (audit entry {}); roll back again instead",
            e.seq
        )),
        Some(e) => {
            let facts = e.entry.deploy.as_ref();
            Ok(UndoTarget {
                rollback_seq: e.seq,
                to: facts
                    .and_then(|f| f.from.clone())
                    .unwrap_or_else(|| "the release it replaced".into()),
                from: facts
                    .and_then(|f| f.to.clone())
                    .unwrap_or_else(|| "the release it went back to".into()),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use time::OffsetDateTime;

    use super::*;
    use crate::audit::{hash, DeployFacts, NewEntry, GENESIS};

    fn entry(
        seq: i64,
        env: &str,
        phase: Phase,
        result: Option<ActionResult>,
        moved: Option<(&str, &str, bool)>,
    ) -> Entry {
        let entry = NewEntry {
            id: format!("e{seq}"),
            at: OffsetDateTime::UNIX_EPOCH,
            environment: env.into(),
            operator: "dana@ops-laptop".into(),
            action: "rollback".into(),
            phase,
            intent: None,
            target: String::new(),
            reason: "bad release".into(),
            result,
            detail: String::new(),
            deploy: moved.map(|(from, to, dry_run)| DeployFacts {
                provider: "demo".into(),
                from: Some(from.into()),
                to: Some(to.into()),
                dry_run,
                provider_status: None,
                verification: None,
                healthy: None,
                reconciled: false,
            }),
        };
        Entry {
            seq,
            hash: hash(GENESIS, seq, &entry),
            prev_hash: GENESIS.into(),
            entry,
        }
    }

    #[test]
    fn undo_returns_to_what_the_last_completed_rollback_left() {
        let log = vec![
            entry(
                1,
                "production",
                Phase::Intent,
                None,
                Some(("d4", "d2", false)),
            ),
            entry(
                2,
                "production",
                Phase::Outcome,
                Some(ActionResult::Done),
                Some(("d4", "d2", false)),
            ),
            // Later, a dry run and a refused one, and another environment's.
            entry(
                3,
                "production",
                Phase::Outcome,
                Some(ActionResult::DryRun),
                Some(("d2", "d1", true)),
            ),
            entry(
                4,
                "production",
                Phase::Outcome,
                Some(ActionResult::NotDone),
                Some(("d2", "d1", false)),
            ),
            entry(
                5,
                "staging",
                Phase::Outcome,
                Some(ActionResult::Done),
                Some(("s2", "s1", false)),
            ),
        ];
        assert_eq!(
            undo_target(&log, "production", Some("d2")),
            Ok(UndoTarget {
                rollback_seq: 2,
                to: "d4".into(),
                from: "d2".into()
            })
        );
        let moved = undo_target(&log, "production", Some("d5")).expect_err("moved on");
        assert!(moved.contains("moved since"), "{moved}");
        assert!(undo_target(&log, "production", None).is_err());
        assert!(undo_target(&log, "qa", Some("d2"))
            .expect_err("none")
            .contains("nothing to undo"));
    }

    #[test]
    fn a_provider_that_does_not_list_undoes_the_last_rollback_once() {
        let mut rollback = entry(
            2,
            "production",
            Phase::Outcome,
            Some(ActionResult::Done),
            None,
        );
        rollback.entry.deploy = Some(DeployFacts {
            provider: "webhook".into(),
            from: None,
            to: None,
            dry_run: false,
            provider_status: Some(204),
            verification: None,
            healthy: None,
            reconciled: false,
        });
        let undo = Entry {
            seq: 4,
            entry: NewEntry {
                action: "undo_rollback".into(),
                ..rollback.entry.clone()
            },
            ..rollback.clone()
        };
        let offered =
            undo_unlisted(std::slice::from_ref(&rollback), "production").expect("offered");
        assert_eq!(offered.rollback_seq, 2);
        assert_eq!(offered.to, "the release it replaced");
        let done = undo_unlisted(&[rollback, undo], "production").expect_err("undone");
        assert!(done.contains("already undone (audit entry 4)"), "{done}");
        assert!(undo_unlisted(&[], "production")
            .expect_err("none")
            .contains("nothing to undo"));
    }
}
