//! One scorecard run: resolve secrets, gather evidence, add the uptime
//! history, score. Shared by the CLI and the command API.

use std::time::Duration;

use readyroom_core::config::Environment;
use readyroom_core::evidence::{Evidence, Gathered, UptimeHistory};
use readyroom_core::rubric::Rubric;
use readyroom_core::scorecard::Scorecard;
use readyroom_secrets::SecretStore;
use readyroom_sources::{gather_evidence, GatherOptions, ResolvedSecrets};
use readyroom_store::{HealthSample, Store};

use crate::{ApiError, ErrorCode};

/// How far back uptime looks.
const UPTIME_WINDOW: time::Duration = time::Duration::days(30);

/// A finished run, ready to store.
pub struct Run {
    pub scorecard: Scorecard,
    pub evidence: Evidence,
    pub health_sample: Option<HealthSample>,
}

/// Gathers the evidence and scores it. `on_probe` is called as each probe
/// group finishes. The caller stores the run.
pub async fn score_environment(
    name: &str,
    env: &Environment,
    rubric: &Rubric,
    store: &Store,
    timeout: Duration,
    on_probe: &(dyn Fn(&str) + Sync),
) -> Result<Run, ApiError> {
    let secrets = resolve_secrets(env).await;
    let options = GatherOptions {
        probe_timeout: timeout,
    };
    let mut evidence = gather_evidence(name, env, secrets, &options, on_probe)
        .await
        .map_err(|e| ApiError::new(ErrorCode::SetupFailed, e.to_string()))?;
    evidence.uptime = uptime(store, name, &evidence).await?;
    let scorecard = Scorecard::compute(rubric, &evidence);
    let health_sample = sample_of(&evidence);
    Ok(Run {
        scorecard,
        evidence,
        health_sample,
    })
}

async fn resolve_secrets(env: &Environment) -> ResolvedSecrets {
    let Some(pg) = env.postgres.clone() else {
        return ResolvedSecrets::default();
    };
    // The keychain client blocks; keep it off the async workers.
    let lookup =
        tokio::task::spawn_blocking(move || match SecretStore::new().get(&pg.url_secret) {
            Ok(Some((value, _))) => Ok(value),
            Ok(None) => Err(format!(
                "secret '{}' is not set; store it with `readyroom secret set {}` (or set {})",
                pg.url_secret,
                pg.url_secret,
                readyroom_secrets::env_var_name(&pg.url_secret)
            )),
            Err(e) => Err(e.to_string()),
        })
        .await
        .unwrap_or_else(|e| Err(format!("the secret lookup failed: {e}")));
    ResolvedSecrets {
        postgres_url: Some(lookup),
    }
}

/// Stored samples of the window plus this run's own.
async fn uptime(
    store: &Store,
    name: &str,
    ev: &Evidence,
) -> Result<Gathered<UptimeHistory>, ApiError> {
    let Some(current) = sample_of(ev) else {
        return Ok(ev.uptime.clone());
    };
    let past = store
        .uptime(name, ev.gathered_at - UPTIME_WINDOW)
        .await
        .map_err(|e| ApiError::new(ErrorCode::StoreFailed, e.to_string()))?;
    let ok = u64::from(current.healthy);
    let history = match past {
        Some(h) => UptimeHistory {
            samples: h.samples + 1,
            healthy: h.healthy + ok,
            first_at: h.first_at.min(current.at),
            last_at: h.last_at.max(current.at),
        },
        None => UptimeHistory {
            samples: 1,
            healthy: ok,
            first_at: current.at,
            last_at: current.at,
        },
    };
    Ok(Gathered::observed(history))
}

/// This run's health sample: healthy when every health URL answered 2xx.
fn sample_of(ev: &Evidence) -> Option<HealthSample> {
    let probes = ev.health.as_observed()?;
    let healthy = probes
        .iter()
        .all(|p| p.response().is_some_and(|r| r.is_success()));
    let latency_ms = probes.iter().map(|p| p.elapsed_ms).reduce(f64::max);
    Some(HealthSample {
        at: probes.iter().map(|p| p.at).min().unwrap_or(ev.gathered_at),
        healthy,
        latency_ms,
    })
}
