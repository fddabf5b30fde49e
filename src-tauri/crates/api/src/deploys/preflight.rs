//! The pre-flight: everything checked before a rollback is sent, each
//! check with its result in words. Nothing here writes to production.

use readyroom_core::audit::Entry;
use readyroom_core::config::Environment;
use readyroom_core::deploys::{self, Direction, Listing, Plan};
use readyroom_sources::deploy::{DeployError, Deployer};

use super::provider;
use super::wire::{Preflight, PreflightStep};
use crate::Api;

/// A pre-flight, and what a send needs from it.
pub(crate) struct Checked {
    pub preflight: Preflight,
    pub deployer: Option<Box<dyn Deployer>>,
    pub listing: Option<Listing>,
}

fn step(name: &str, ok: bool, detail: impl Into<String>) -> PreflightStep {
    PreflightStep {
        name: name.into(),
        ok,
        detail: detail.into(),
    }
}

/// Runs the pre-flight for `target` (or the default target) in `name`.
/// `audit` is the log read now (for an undo's target, and to reconcile).
pub(crate) async fn check(
    api: &Api,
    name: &str,
    env: &Environment,
    target: Option<&str>,
    undo: bool,
    audit: &[Entry],
) -> Checked {
    let direction = if undo {
        Direction::Forward
    } else {
        Direction::Back
    };
    let mut preflight = Preflight {
        environment: name.to_string(),
        direction,
        provider: None,
        steps: Vec::new(),
        plan: None,
        ready: false,
        confirm: name.to_string(),
    };
    let deployer = match provider::open(api, env).await {
        Ok(Some(d)) => d,
        Ok(None) => {
            preflight.steps.push(step(
                "provider",
                false,
                format!("no deploy provider is configured: add [environments.{name}.deploy] (provider, and what it needs)"),
            ));
            return Checked {
                preflight,
                deployer: None,
                listing: None,
            };
        }
        Err(e) => {
            let which = if matches!(e, DeployError::Credential { .. }) {
                "credential"
            } else {
                "provider"
            };
            preflight.steps.push(step(which, false, e.to_string()));
            return Checked {
                preflight,
                deployer: None,
                listing: None,
            };
        }
    };
    let traits = deployer.traits();
    preflight.provider = Some(traits.clone());
    if let Some(d) = env.deploy.as_ref() {
        let what = match (d.token_secret.is_some(), !d.env.is_empty()) {
            (true, false) => Some("the token resolves from the keychain"),
            (false, true) => Some("the command's secrets resolve from the keychain"),
            (true, true) => Some("the token and the command's secrets resolve from the keychain"),
            (false, false) => None,
        };
        if let Some(what) = what {
            preflight.steps.push(step("credential", true, what));
        }
    }
    let listing = if traits.lists {
        match deployer.list().await {
            Ok(listing) => {
                preflight.steps.push(step(
                    "provider",
                    true,
                    format!(
                        "{} answered: {} production deployments, {} serving",
                        traits.name,
                        listing.deployments.len(),
                        listing
                            .current()
                            .map(|d| d.describe())
                            .or(listing.current.clone())
                            .unwrap_or_else(|| "none said to be".into())
                    ),
                ));
                Some(listing)
            }
            Err(e) => {
                preflight.steps.push(step("provider", false, e.to_string()));
                return Checked {
                    preflight,
                    deployer: Some(deployer),
                    listing: None,
                };
            }
        }
    } else {
        preflight.steps.push(step(
            "provider",
            true,
            format!(
                "{} does not list deployments: it rolls back to its own previous release",
                traits.name
            ),
        ));
        None
    };
    let undo_to = if undo {
        let current = listing.as_ref().and_then(|l| l.current.as_deref());
        // One that does not list returns to its own previous release:
        // nothing to name.
        match deploys::undo_for(audit, name, traits.lists, current)
            .map(|u| traits.lists.then_some(u.to))
        {
            Ok(to) => to,
            Err(why) => {
                preflight.steps.push(step("target", false, why));
                return Checked {
                    preflight,
                    deployer: Some(deployer),
                    listing,
                };
            }
        }
    } else {
        None
    };
    let chosen = undo_to.as_deref().or(target);
    let seen = super::seen(api, name, listing.as_ref()).await;
    match deploys::plan(listing.as_ref(), &traits, chosen, direction, &seen) {
        Ok(plan) => {
            preflight
                .steps
                .push(step("target", true, target_words(&plan)));
            preflight.plan = Some(plan);
        }
        Err(refusal) => preflight
            .steps
            .push(step("target", false, refusal.to_string())),
    }
    if env.health_urls.is_empty() {
        preflight.steps.push(step(
            "health",
            true,
            format!(
                "no health_urls in [environments.{name}]: the rollback cannot be verified after"
            ),
        ));
    }
    preflight.ready = preflight.steps.iter().all(|s| s.ok);
    Checked {
        preflight,
        deployer: Some(deployer),
        listing,
    }
}

fn target_words(plan: &Plan) -> String {
    let Some(to) = &plan.to else {
        return plan.summary();
    };
    let mut words = format!("{} is ready", to.describe());
    if let Some(from) = &plan.from {
        words.push_str(&format!("; {} stops serving production", from.describe()));
    }
    let between: Vec<String> = plan.passed_over().map(|d| d.describe()).collect();
    if !between.is_empty() {
        words.push_str(&format!("; passed over: {}", between.join(", ")));
    }
    words
}
