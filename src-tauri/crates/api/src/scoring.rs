//! One scorecard run: look up the secrets the sources need, gather the
//! evidence, score it. Shared by every entry point.

use std::sync::Arc;
use std::time::Duration;

use readyroom_core::config::Environment;
use readyroom_core::evidence::Evidence;
use readyroom_core::rubric::Rubric;
use readyroom_core::scorecard::Scorecard;
use readyroom_secrets::SecretStore;
use readyroom_sources::{Registry, ResolvedSecrets, SecretRef, Sighting};
use readyroom_store::{HealthSample, Store};

use crate::uptime::{sample_of, UptimeSource};
use crate::{ApiError, ErrorCode};

/// A finished run, ready to store.
pub struct Run {
    pub scorecard: Scorecard,
    pub evidence: Evidence,
    pub sightings: Vec<(&'static str, Sighting)>,
    pub health_sample: Option<HealthSample>,
}

/// Every source of a scorecard: production's, and the local store's.
pub fn registry(store: &Store) -> Registry {
    Registry::new(readyroom_sources::production_sources()).with(Arc::new(UptimeSource {
        store: store.clone(),
    }))
}

/// Gathers the evidence and scores it. `on_probe` is called as each source
/// finishes. The caller stores the run.
pub async fn score_environment(
    name: &str,
    env: &Environment,
    rubric: &Rubric,
    store: &Store,
    timeout: Duration,
    on_probe: &(dyn Fn(&str) + Sync),
) -> Result<Run, ApiError> {
    let registry = registry(store);
    let secrets = resolve_secrets(registry.secrets(env)).await;
    let gathering = registry
        .gather(name, env, &secrets, timeout, on_probe)
        .await
        .map_err(|e| ApiError::new(ErrorCode::SetupFailed, e.to_string()))?;
    let evidence = gathering.evidence;
    let scorecard = Scorecard::compute(rubric, &evidence);
    let health_sample = sample_of(&evidence);
    Ok(Run {
        scorecard,
        evidence,
        sightings: gathering.sightings,
        health_sample,
    })
}

/// Looks up every secret the sources declared, off the async workers (the
/// keychain client blocks).
async fn resolve_secrets(refs: Vec<SecretRef>) -> ResolvedSecrets {
    if refs.is_empty() {
        return ResolvedSecrets::new();
    }
    let names: Vec<String> = refs.into_iter().map(|r| r.name).collect();
    let lookup = tokio::task::spawn_blocking(move || {
        let store = SecretStore::new();
        names
            .into_iter()
            .map(|name| {
                let value = match store.get(&name) {
                    Ok(Some((value, _))) => Ok(value),
                    Ok(None) => Err(format!(
                        "secret '{name}' is not set; store it with `readyroom secret set {name}` (or set {})",
                        readyroom_secrets::env_var_name(&name)
                    )),
                    Err(e) => Err(e.to_string()),
                };
                (name, value)
            })
            .collect::<ResolvedSecrets>()
    });
    lookup.await.unwrap_or_else(|e| {
        tracing::error!(error = %e, "the secret lookup task failed");
        ResolvedSecrets::new()
    })
}
