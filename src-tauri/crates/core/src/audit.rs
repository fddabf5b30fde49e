//! The audit log: what every action against production leaves behind.
//!
//! An action writes two entries: its **intent** before anything is sent
//! (who, where, what, why), and its **outcome** after (what production
//! answered). An intent with no outcome is an action whose result nobody
//! recorded (Readyroom stopped in between): it is shown as "outcome
//! unknown", never hidden.
//!
//! Entries form a hash chain: each one's hash covers its own fields and the
//! hash of the entry before it, so an entry edited, removed or reordered
//! after the fact breaks the chain at that point, and `verify` says where.
//! The hash is SHA-256 over a fixed serialization (the fields below, in
//! order, as JSON); the store computes it, this module checks it.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use ts_rs::TS;

/// The hash the first entry chains from.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Which half of an action an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum Phase {
    /// Written (and synced) before production is touched.
    Intent,
    /// Written after, with production's answer.
    Outcome,
    /// Written after an outcome, with what Readyroom saw of production's
    /// health afterwards (a rollback's verification).
    Verification,
}

/// How an action ended, as its outcome entry records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ActionResult {
    /// Production did what was asked.
    Done,
    /// Production answered, and did not (refused, nothing to do, an error).
    NotDone,
    /// Nothing was sent (a dry run).
    DryRun,
}

/// An entry before the store gives it its place in the chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NewEntry {
    /// Unique, random: an outcome names its intent by it.
    pub id: String,
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    pub at: OffsetDateTime,
    pub environment: String,
    /// Who, on which machine: `user@host`.
    pub operator: String,
    /// What kind of action: `cancel_backend`, `terminate_backend`,
    /// `rollback`, …
    pub action: String,
    pub phase: Phase,
    /// On an outcome: the intent it completes.
    #[ts(optional)]
    pub intent: Option<String>,
    /// What was acted on, in words an operator reads (`pid 4711 (app
    /// "billing", user "api")`).
    pub target: String,
    /// The operator's reason (on the intent).
    pub reason: String,
    /// On an outcome: how it ended.
    #[ts(optional)]
    pub result: Option<ActionResult>,
    /// On an outcome: production's answer, in words; never a secret.
    pub detail: String,
    /// On a rollback or its undo: the provider, what moved where, and how
    /// it ended. Absent on other actions, so their serialization (and the
    /// hashes of entries written before it existed) is unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub deploy: Option<DeployFacts>,
}

/// A rollback's facts in the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DeployFacts {
    /// `vercel`, `webhook`, `command`, `demo`.
    pub provider: String,
    /// The deployment serving production before (where the provider lists).
    #[ts(optional)]
    pub from: Option<String>,
    /// The deployment it was moved to.
    #[ts(optional)]
    pub to: Option<String>,
    /// Nothing was sent: the pre-flight ran and stopped there.
    pub dry_run: bool,
    /// On the outcome: the provider's answer (an HTTP status, or a
    /// command's exit code).
    #[ts(optional)]
    pub provider_status: Option<i32>,
    /// On the outcome: whether production was verified healthy after, in
    /// words ("healthy after 4.1 s", "still unhealthy at the 2 min
    /// deadline: …").
    #[ts(optional)]
    pub verification: Option<String>,
    #[ts(optional)]
    pub healthy: Option<bool>,
    /// On the outcome: written at a later start, from what the provider
    /// showed then, because Readyroom stopped before it could write it.
    pub reconciled: bool,
}

/// An entry as stored: its place in the chain and its hashes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// Its position, from 1, in the order written.
    pub seq: i64,
    #[serde(flatten)]
    pub entry: NewEntry,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash of `entry` chained after `prev_hash`, as lowercase hex.
pub fn hash(prev_hash: &str, seq: i64, entry: &NewEntry) -> String {
    // serde_json writes a struct's fields in declaration order: the
    // serialization is fixed as long as `NewEntry` is (a new field is a new
    // chain format, not a silent change).
    let body = serde_json::to_string(entry).unwrap_or_default();
    let mut digest = Sha256::new();
    digest.update(prev_hash.as_bytes());
    digest.update(b"\n");
    digest.update(seq.to_string().as_bytes());
    digest.update(b"\n");
    digest.update(body.as_bytes());
    digest
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Where the chain breaks, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Broken {
    pub seq: i64,
    pub reason: String,
}

/// Checks entries read back oldest first, from the first one ever written:
/// numbered 1, 2, 3 … without a hole, each chained from the one before and
/// hashing to what it says.
pub fn verify(entries: &[Entry]) -> Result<(), Broken> {
    let mut prev = GENESIS.to_string();
    for (i, e) in entries.iter().enumerate() {
        let expected_seq = i as i64 + 1;
        if e.seq != expected_seq {
            return Err(Broken {
                seq: e.seq,
                reason: format!(
                    "entry {expected_seq} is missing (the next one stored is {})",
                    e.seq
                ),
            });
        }
        if e.prev_hash != prev {
            return Err(Broken {
                seq: e.seq,
                reason: "it does not chain from the entry before it (an entry was removed, reordered or edited)".into(),
            });
        }
        if hash(&e.prev_hash, e.seq, &e.entry) != e.hash {
            return Err(Broken {
                seq: e.seq,
                reason: "its contents do not match its hash (it was edited after it was written)"
                    .into(),
            });
        }
        prev = e.hash.clone();
    }
    Ok(())
}

/// Intents with no outcome: actions whose result was never recorded.
pub fn unanswered(entries: &[Entry]) -> Vec<&Entry> {
    let answered: std::collections::HashSet<&str> = entries
        .iter()
        .filter(|e| e.entry.phase == Phase::Outcome)
        .filter_map(|e| e.entry.intent.as_deref())
        .collect();
    entries
        .iter()
        .filter(|e| e.entry.phase == Phase::Intent && !answered.contains(e.entry.id.as_str()))
        .collect()
}

/// A new random entry id (128 bits, hex).
pub fn new_id(random: u128) -> String {
    format!("{random:032x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intent(id: &str) -> NewEntry {
        NewEntry {
            id: id.into(),
            at: OffsetDateTime::UNIX_EPOCH,
            environment: "production".into(),
            operator: "dana@ops-laptop".into(),
            action: "cancel_backend".into(),
            phase: Phase::Intent,
            intent: None,
            target: "pid 4711".into(),
            reason: "blocking checkout".into(),
            result: None,
            detail: String::new(),
            deploy: None,
        }
    }

    fn outcome(id: &str, of: &str) -> NewEntry {
        NewEntry {
            phase: Phase::Outcome,
            intent: Some(of.into()),
            result: Some(ActionResult::Done),
            detail: "signal sent".into(),
            ..intent(id)
        }
    }

    fn chain(entries: Vec<NewEntry>) -> Vec<Entry> {
        let mut prev = GENESIS.to_string();
        entries
            .into_iter()
            .enumerate()
            .map(|(i, entry)| {
                let seq = i as i64 + 1;
                let h = hash(&prev, seq, &entry);
                let e = Entry {
                    seq,
                    entry,
                    prev_hash: prev.clone(),
                    hash: h.clone(),
                };
                prev = h;
                e
            })
            .collect()
    }

    #[test]
    fn a_chain_as_written_verifies() {
        let entries = chain(vec![intent("a"), outcome("b", "a"), intent("c")]);
        assert_eq!(verify(&entries), Ok(()));
        assert_eq!(verify(&[]), Ok(()));
    }

    #[test]
    fn an_edited_entry_breaks_the_chain_at_that_entry() {
        let mut entries = chain(vec![intent("a"), outcome("b", "a"), intent("c")]);
        entries[1].entry.detail = "nothing happened".into();
        let broken = verify(&entries).expect_err("broken");
        assert_eq!(broken.seq, 2);
        assert!(broken.reason.contains("edited"), "{}", broken.reason);
    }

    #[test]
    fn an_edited_entry_with_its_hash_recomputed_breaks_the_next_link() {
        let mut entries = chain(vec![intent("a"), outcome("b", "a"), intent("c")]);
        entries[1].entry.reason = "routine".into();
        entries[1].hash = hash(&entries[1].prev_hash, 2, &entries[1].entry);
        assert_eq!(verify(&entries).expect_err("broken").seq, 3);
    }

    #[test]
    fn a_removed_or_reordered_entry_is_found() {
        let mut entries = chain(vec![intent("a"), outcome("b", "a"), intent("c")]);
        entries.remove(1);
        let broken = verify(&entries).expect_err("broken");
        assert_eq!(broken.seq, 3);
        assert!(
            broken.reason.contains("entry 2 is missing"),
            "{}",
            broken.reason
        );

        let mut entries = chain(vec![intent("a"), outcome("b", "a")]);
        entries.swap(0, 1);
        assert_eq!(verify(&entries).expect_err("broken").seq, 2);
    }

    #[test]
    fn an_entry_without_deploy_facts_serializes_as_before_they_existed() {
        // Entries written before `deploy` existed must keep their hashes.
        let body = serde_json::to_string(&intent("a")).expect("serializes");
        assert!(!body.contains("deploy"), "{body}");
        let parsed: NewEntry = serde_json::from_str(&body).expect("reads back");
        assert_eq!(parsed.deploy, None);
    }

    #[test]
    fn an_intent_without_its_outcome_is_unanswered() {
        let entries = chain(vec![intent("a"), outcome("b", "a"), intent("c")]);
        let open: Vec<&str> = unanswered(&entries)
            .iter()
            .map(|e| e.entry.id.as_str())
            .collect();
        assert_eq!(open, ["c"]);
    }
}
