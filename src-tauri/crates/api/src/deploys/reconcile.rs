//! At the next read of an environment's deployments (the next start, the
//! next `readyroom deploys`, the next rollback), rollbacks whose outcome was
//! never written get one, from what the provider shows now.

use readyroom_core::audit::{self, DeployFacts, Entry, Phase};
use readyroom_core::deploys::{reconcile, Listing};

use crate::audit::write_after;
use crate::Api;

/// Writes an outcome for each of `name`'s unanswered rollback intents that
/// `listing` settles; returns what was written, in words.
pub(crate) async fn reconcile(
    api: &Api,
    name: &str,
    entries: &[Entry],
    listing: Option<&Listing>,
) -> Vec<String> {
    let current = listing.and_then(|l| l.current.as_deref());
    let mut written = Vec::new();
    for intent in audit::unanswered(entries)
        .into_iter()
        .filter(|e| e.entry.environment == name)
    {
        let Some((result, detail)) = reconcile::settle(intent, current) else {
            continue;
        };
        let facts = intent.entry.deploy.clone().map(|f| DeployFacts {
            reconciled: true,
            ..f
        });
        match write_after(api, intent, Phase::Outcome, Some(result), &detail, facts).await {
            Ok(entry) => written.push(format!(
                "entry {} (of intent {}): {detail}",
                entry.seq, intent.seq
            )),
            Err(e) => {
                tracing::warn!(error = %e.message, seq = intent.seq, "could not write a reconciled outcome")
            }
        }
    }
    written
}
