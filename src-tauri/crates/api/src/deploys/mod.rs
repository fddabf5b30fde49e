//! The deploys area: production's deployments from the environment's
//! provider, the pre-flight of a rollback, the rollback itself (and its
//! undo) with its audit trail and verification.
//!
//! Every read of an environment's deployments also settles rollbacks whose
//! outcome was never written ([`reconcile`]), and so does the start of the
//! desktop app or `serve` ([`ReconcileAtStart`]), so an interrupted
//! rollback is "outcome unknown" only until the next start or look.

pub mod evidence;
pub(crate) mod execute;
pub(crate) mod preflight;
pub(crate) mod provider;
pub(crate) mod reconcile;
mod startup;
mod verify;
mod wire;

pub use startup::ReconcileAtStart;
pub use wire::{
    DeployProblem, DeploysRequest, DeploysView, Preflight, PreflightRequest, PreflightStep,
    RollbackOutcome, TriggerRollbackRequest, UndoOffer,
};

use std::collections::BTreeMap;

use readyroom_core::deploys::{self, Direction, Listing, SeenHealth};

use crate::pools::ActionAvailability;
use crate::{audit, context, Api, ApiError};

pub(crate) async fn list_deploys(api: &Api, r: DeploysRequest) -> Result<DeploysView, ApiError> {
    let config = context::load_config(api)?.config;
    let (name, env) = context::environment(&config, r.environment.as_deref())?;
    let mut view = DeploysView {
        environment: name.to_string(),
        configured: env.deploy.is_some(),
        provider: None,
        listing: None,
        problem: None,
        next: None,
        why_not: None,
        undo: None,
        undo_why_not: None,
        actions: ActionAvailability::of(audit::actions_allowed(api)),
        reconciled: Vec::new(),
        seen: Default::default(),
    };
    if env.deploy.is_none() {
        return Ok(view);
    }
    let deployer = match provider::open(api, env).await {
        Ok(Some(d)) => d,
        Ok(None) => return Ok(view),
        Err(e) => {
            view.problem = Some(provider::problem(&e));
            return Ok(view);
        }
    };
    let traits = deployer.traits();
    view.provider = Some(traits.clone());
    if traits.lists {
        match deployer.list().await {
            Ok(listing) => view.listing = Some(listing),
            Err(e) => {
                view.problem = Some(provider::problem(&e));
                return Ok(view);
            }
        }
    }
    let store = api.store().await?;
    let log = store.audit_log().await?.entries;
    view.reconciled = reconcile::reconcile(api, name, &log, view.listing.as_ref()).await;
    let log = if view.reconciled.is_empty() {
        log
    } else {
        store.audit_log().await?.entries
    };
    view.seen = seen(api, name, view.listing.as_ref()).await;
    match deploys::plan(
        view.listing.as_ref(),
        &traits,
        None,
        Direction::Back,
        &view.seen,
    ) {
        Ok(plan) => view.next = Some(plan),
        Err(refusal) => view.why_not = Some(refusal.to_string()),
    }
    let current = view.listing.as_ref().and_then(|l| l.current.as_deref());
    match deploys::undo_for(&log, name, traits.lists, current) {
        Ok(u) => {
            view.undo = Some(UndoOffer {
                to: u.to,
                from: u.from,
                rollback_seq: u.rollback_seq,
            })
        }
        Err(why) => view.undo_why_not = Some(why),
    }
    Ok(view)
}

/// The health Readyroom saw per listed deployment, from its stored
/// samples; empty (never a failure) when the store cannot say.
pub(crate) async fn seen(
    api: &Api,
    name: &str,
    listing: Option<&Listing>,
) -> BTreeMap<String, SeenHealth> {
    match api.store().await {
        Ok(store) => seen_in(store, name, listing).await,
        Err(_) => BTreeMap::new(),
    }
}

pub(crate) async fn seen_in(
    store: &readyroom_store::Store,
    name: &str,
    listing: Option<&Listing>,
) -> BTreeMap<String, SeenHealth> {
    let Some(listing) = listing else {
        return BTreeMap::new();
    };
    let releases = store.release_health(name).await.unwrap_or_else(|e| {
        tracing::warn!("reading the health seen per release: {e}");
        Vec::new()
    });
    deploys::seen_health(&listing.deployments, &releases)
}

pub(crate) async fn preflight_rollback(
    api: &Api,
    r: PreflightRequest,
) -> Result<Preflight, ApiError> {
    let config = context::load_config(api)?.config;
    let (name, env) = context::environment(&config, Some(&r.environment))?;
    let store = api.store().await?;
    let log = store.audit_log().await?.entries;
    let checked = preflight::check(api, name, env, r.target.as_deref(), r.undo, &log).await;
    reconcile::reconcile(api, name, &log, checked.listing.as_ref()).await;
    Ok(checked.preflight)
}
