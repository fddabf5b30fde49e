//! The pre-flight's judgement: which deployment a rollback goes to, what it
//! changes (current → target, the releases rolled past), what the provider
//! does after, and every reason it must not be sent.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{DeployState, Deployment, Listing, ProviderTraits, SeenHealth};

/// Back to an older deployment (a rollback), or forward again to the one a
/// rollback left (its undo).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum Direction {
    Back,
    Forward,
}

/// What a rollback will do, before it is sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    pub direction: Direction,
    /// Serving production now (unknown for a provider that does not list).
    #[ts(optional)]
    pub from: Option<Deployment>,
    /// What will serve production after (unknown for a provider that does
    /// not list: it goes to whatever it calls previous).
    #[ts(optional)]
    pub to: Option<Deployment>,
    /// The deployment the operator named for a provider that does not list
    /// (a webhook or command given `{{target}}`): sent as is, unchecked.
    #[ts(optional)]
    pub named: Option<String>,
    /// The releases production stops serving or skips over: everything
    /// between the target and the current one, the current one included,
    /// newest first.
    pub rolled_past: Vec<Deployment>,
    /// What the provider does after (Vercel pins production).
    #[ts(optional)]
    pub after: Option<String>,
    /// Things the operator should know but that do not stop it.
    pub warnings: Vec<String>,
}

impl Plan {
    /// The releases between the two that production skips (the current
    /// one left out).
    pub fn passed_over(&self) -> impl Iterator<Item = &Deployment> {
        self.rolled_past
            .iter()
            .filter(|d| self.from.as_ref().is_none_or(|f| f.id != d.id))
    }

    /// `dpl_7d2 (2.15.0) → dpl_7c9 (2.14.0)`, or the provider's words.
    pub fn summary(&self) -> String {
        match (&self.from, &self.to, &self.named) {
            (Some(from), Some(to), _) => format!("{} → {}", from.describe(), to.describe()),
            (_, _, Some(id)) => format!(
                "to {id} (the provider does not list its deployments, so Readyroom cannot check it)"
            ),
            _ if self.direction == Direction::Forward => {
                "back to what the last rollback replaced (the provider does not list its deployments)"
                    .into()
            }
            _ => "the provider's previous release (it does not list its deployments)".into(),
        }
    }
}

/// Why a rollback must not be sent, with what to do instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, TS)]
#[serde(tag = "reason", rename_all = "camelCase")]
pub enum Refusal {
    #[error("the provider did not say which deployment serves production, so Readyroom cannot tell what a rollback would change; check the provider's dashboard")]
    NoCurrent,
    #[error("no deployment {id} among the {listed} the provider listed; pick one from `readyroom deploys`")]
    UnknownTarget { id: String, listed: usize },
    #[error("{id} already serves production; nothing to roll back to")]
    AlreadyCurrent { id: String },
    #[error("{id} is {state}, not ready: production cannot serve it")]
    NotReady { id: String, state: String },
    #[error("the provider says {id} is not a rollback candidate (it never served production, or it is too old for the plan); pick another from `readyroom deploys`")]
    NotCandidate { id: String },
    #[error("{id} is newer than the deployment serving production: that is a roll forward, not a rollback. Use undo to return to the release a rollback left")]
    Newer { id: String },
    #[error("no earlier deployment to roll back to: {why}")]
    NoTarget { why: String },
    #[error("this provider rolls back to its own previous release and cannot be sent to a chosen deployment; run it without a target")]
    NoTargeting,
}

/// Plans a move to `target` (or, without one, to the newest earlier
/// deployment that is ready, a candidate and not seen mostly unhealthy).
pub fn plan(
    listing: Option<&Listing>,
    traits: &ProviderTraits,
    target: Option<&str>,
    direction: Direction,
    seen: &BTreeMap<String, SeenHealth>,
) -> Result<Plan, Refusal> {
    let after = traits.after_rollback.clone();
    let Some(listing) = listing.filter(|_| traits.lists) else {
        if target.is_some() && !traits.targets {
            return Err(Refusal::NoTargeting);
        }
        return Ok(Plan {
            direction,
            from: None,
            to: None,
            named: target.map(str::to_string),
            rolled_past: Vec::new(),
            after,
            warnings: Vec::new(),
        });
    };
    let from = listing.current().ok_or(Refusal::NoCurrent)?;
    let to = match target {
        Some(id) => chosen(listing, from, id, direction)?,
        None => default_target(listing, from, seen)?,
    };
    let mut warnings = Vec::new();
    if let Some(health) = seen.get(&to.id).filter(|h| h.mostly_unhealthy()) {
        warnings.push(format!(
            "Readyroom saw {} unhealthy in {} of its {} health samples while it served production",
            to.id,
            health.samples - health.healthy,
            health.samples
        ));
    }
    if listing.truncated {
        warnings.push(
            "the provider listed more deployments than Readyroom read; older ones are not shown"
                .into(),
        );
    }
    let (low, high) = match direction {
        Direction::Back => (to.created_at, from.created_at),
        Direction::Forward => (from.created_at, to.created_at),
    };
    let rolled_past = listing
        .deployments
        .iter()
        .filter(|d| d.created_at > low && d.created_at <= high)
        .filter(|d| direction == Direction::Back || d.id != to.id)
        .cloned()
        .collect();
    Ok(Plan {
        direction,
        from: Some(from.clone()),
        to: Some(to.clone()),
        named: None,
        rolled_past,
        after,
        warnings,
    })
}

fn chosen<'a>(
    listing: &'a Listing,
    from: &Deployment,
    id: &str,
    direction: Direction,
) -> Result<&'a Deployment, Refusal> {
    let to = listing.get(id).ok_or_else(|| Refusal::UnknownTarget {
        id: id.to_string(),
        listed: listing.deployments.len(),
    })?;
    if to.id == from.id {
        return Err(Refusal::AlreadyCurrent { id: to.id.clone() });
    }
    if to.state != DeployState::Ready {
        return Err(Refusal::NotReady {
            id: to.id.clone(),
            state: to.state.label().to_string(),
        });
    }
    if direction == Direction::Back {
        if to.created_at > from.created_at {
            return Err(Refusal::Newer { id: to.id.clone() });
        }
        if to.rollback_candidate == Some(false) {
            return Err(Refusal::NotCandidate { id: to.id.clone() });
        }
    }
    Ok(to)
}

fn default_target<'a>(
    listing: &'a Listing,
    from: &Deployment,
    seen: &BTreeMap<String, SeenHealth>,
) -> Result<&'a Deployment, Refusal> {
    let mut skipped = Vec::new();
    for d in listing
        .deployments
        .iter()
        .filter(|d| d.created_at < from.created_at && d.id != from.id)
    {
        let why = if d.state != DeployState::Ready {
            Some(d.state.label().to_string())
        } else if d.rollback_candidate == Some(false) {
            Some("not a rollback candidate".to_string())
        } else if seen.get(&d.id).is_some_and(SeenHealth::mostly_unhealthy) {
            Some("seen mostly unhealthy".to_string())
        } else {
            None
        };
        match why {
            None => return Ok(d),
            Some(why) => skipped.push(format!("{} is {why}", d.id)),
        }
    }
    Err(Refusal::NoTarget {
        why: if skipped.is_empty() {
            format!(
                "{} is the oldest deployment the provider listed",
                from.describe()
            )
        } else {
            format!("{} (pick one explicitly to override)", skipped.join("; "))
        },
    })
}

#[cfg(test)]
mod tests {
    use time::OffsetDateTime;

    use super::*;

    fn d(id: &str, days_ago: i64, state: DeployState) -> Deployment {
        Deployment {
            id: id.into(),
            version: Some(format!("v-{id}")),
            commit: Some(format!("{id}0000000000")),
            message: None,
            author: None,
            created_at: OffsetDateTime::from_unix_timestamp(1_790_000_000).expect("a time")
                - time::Duration::days(days_ago),
            state,
            rollback_candidate: None,
            url: None,
        }
    }

    fn listing(current: &str, deployments: Vec<Deployment>) -> Listing {
        Listing::new(Some(current.into()), deployments, false)
    }

    fn history() -> Listing {
        // Listed in no particular order: the listing sorts newest first.
        listing(
            "d4",
            vec![
                d("d2", 5, DeployState::Ready),
                d("d4", 0, DeployState::Ready),
                d("d1", 9, DeployState::Ready),
                d("d3", 2, DeployState::Failed),
            ],
        )
    }

    fn traits() -> ProviderTraits {
        ProviderTraits {
            name: "demo".into(),
            lists: true,
            targets: true,
            after_rollback: None,
        }
    }

    fn none() -> BTreeMap<String, SeenHealth> {
        BTreeMap::new()
    }

    fn ids(ds: &[Deployment]) -> Vec<&str> {
        ds.iter().map(|d| d.id.as_str()).collect()
    }

    #[test]
    fn the_default_target_is_the_newest_earlier_ready_deployment() {
        let h = history();
        assert_eq!(ids(&h.deployments), ["d4", "d3", "d2", "d1"]);
        let p = plan(Some(&h), &traits(), None, Direction::Back, &none()).expect("a plan");
        assert_eq!(p.from.as_ref().map(|d| d.id.as_str()), Some("d4"));
        assert_eq!(p.to.as_ref().map(|d| d.id.as_str()), Some("d2"));
        // The failed d3 is skipped over, and d4 stops serving.
        assert_eq!(ids(&p.rolled_past), ["d4", "d3"]);
        assert_eq!(p.summary(), "d4 (v-d4, d400000) → d2 (v-d2, d200000)");
    }

    #[test]
    fn a_deployment_seen_mostly_unhealthy_is_passed_over_unless_chosen() {
        let h = history();
        let mut seen = none();
        seen.insert(
            "d2".into(),
            SeenHealth {
                samples: 10,
                healthy: 2,
            },
        );
        let p = plan(Some(&h), &traits(), None, Direction::Back, &seen).expect("a plan");
        assert_eq!(p.to.as_ref().map(|d| d.id.as_str()), Some("d1"));
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        let p = plan(Some(&h), &traits(), Some("d2"), Direction::Back, &seen).expect("a plan");
        assert_eq!(p.to.as_ref().map(|d| d.id.as_str()), Some("d2"));
        assert!(
            p.warnings[0].contains("unhealthy in 8 of its 10"),
            "{:?}",
            p.warnings
        );
    }

    #[test]
    fn every_ineligible_target_is_refused_with_its_reason() {
        let mut h = history();
        h.deployments[2].rollback_candidate = Some(false); // d2
        let refuse = |target: &str| {
            plan(Some(&h), &traits(), Some(target), Direction::Back, &none()).expect_err("refused")
        };
        assert_eq!(refuse("d4"), Refusal::AlreadyCurrent { id: "d4".into() });
        assert_eq!(
            refuse("d3"),
            Refusal::NotReady {
                id: "d3".into(),
                state: "failed".into()
            }
        );
        assert_eq!(refuse("d2"), Refusal::NotCandidate { id: "d2".into() });
        assert_eq!(
            refuse("d9"),
            Refusal::UnknownTarget {
                id: "d9".into(),
                listed: 4
            }
        );
        // With d2 not a candidate, the default goes past it to d1.
        let p = plan(Some(&h), &traits(), None, Direction::Back, &none()).expect("a plan");
        assert_eq!(p.to.as_ref().map(|d| d.id.as_str()), Some("d1"));
    }

    #[test]
    fn nothing_earlier_is_a_refusal_that_says_why() {
        let h = listing(
            "d2",
            vec![
                d("d2", 1, DeployState::Ready),
                d("d1", 3, DeployState::Canceled),
            ],
        );
        let err = plan(Some(&h), &traits(), None, Direction::Back, &none()).expect_err("refused");
        assert!(err.to_string().contains("d1 is canceled"), "{err}");
        let alone = listing("d2", vec![d("d2", 1, DeployState::Ready)]);
        let err =
            plan(Some(&alone), &traits(), None, Direction::Back, &none()).expect_err("refused");
        assert!(err.to_string().contains("oldest"), "{err}");
        let unknown = Listing::new(None, vec![d("d2", 1, DeployState::Ready)], false);
        assert_eq!(
            plan(Some(&unknown), &traits(), None, Direction::Back, &none()),
            Err(Refusal::NoCurrent)
        );
    }

    #[test]
    fn forward_is_only_for_undo_and_goes_to_a_newer_deployment() {
        let h = listing(
            "d2",
            vec![
                d("d4", 0, DeployState::Ready),
                d("d2", 5, DeployState::Ready),
            ],
        );
        assert_eq!(
            plan(Some(&h), &traits(), Some("d4"), Direction::Back, &none()),
            Err(Refusal::Newer { id: "d4".into() })
        );
        let p = plan(Some(&h), &traits(), Some("d4"), Direction::Forward, &none()).expect("plan");
        assert_eq!(p.to.as_ref().map(|d| d.id.as_str()), Some("d4"));
        assert!(p.rolled_past.is_empty());
    }

    #[test]
    fn a_provider_that_does_not_list_plans_without_ids() {
        let t = ProviderTraits {
            name: "command".into(),
            lists: false,
            targets: false,
            after_rollback: None,
        };
        let p = plan(None, &t, None, Direction::Back, &none()).expect("a plan");
        assert!(p.from.is_none() && p.to.is_none());
        assert!(p.summary().contains("previous release"));
        let undo = plan(None, &t, None, Direction::Forward, &none()).expect("an undo");
        assert!(
            undo.summary().contains("what the last rollback replaced"),
            "{}",
            undo.summary()
        );
        assert_eq!(
            plan(None, &t, Some("d1"), Direction::Back, &none()),
            Err(Refusal::NoTargeting)
        );
        // One that takes a target is sent the name as given.
        let t = ProviderTraits { targets: true, ..t };
        let p = plan(None, &t, Some("v41"), Direction::Back, &none()).expect("a plan");
        assert_eq!(p.named.as_deref(), Some("v41"));
        assert!(p.summary().starts_with("to v41 ("), "{}", p.summary());
    }
}
