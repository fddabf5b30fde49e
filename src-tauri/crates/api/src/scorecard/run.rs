//! One scorecard run, the same for every entry point: look up the secrets
//! the sources declare, gather the evidence, score it, store it, announce
//! it.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use readyroom_core::diff::ScorecardDiff;
use readyroom_core::scorecard::Scorecard;
use readyroom_sources::{ResolvedSecrets, SecretRef};

use super::uptime::sample_of;
use super::ScorecardView;
use crate::secrets::keychain;
use crate::{context, Api, ApiError, ErrorCode, Event};

pub(super) async fn run(api: &Api, environment: &str) -> Result<ScorecardView, ApiError> {
    let rounds = api.inner.scorecard.rounds_for(environment);
    rounds
        .run(|| async {
            let result = round(api, environment).await;
            if let Err(e) = &result {
                api.emit(Event::ScorecardFailed {
                    environment: environment.to_string(),
                    message: e.message.clone(),
                });
            }
            result
        })
        .await
}

async fn round(api: &Api, environment: &str) -> Result<ScorecardView, ApiError> {
    let parsed = context::load_config(api)?;
    let config = &parsed.config;
    let (name, env) = context::environment(config, Some(environment))?;
    let rubric = context::load_rubric(config)?;
    let store = api.store().await?;
    // Production is probed only for a run that can be kept.
    store.ready_to_write().await?;
    let registry = (api.host().sources)(store);
    let planned = registry.planned(env).len() as u32;
    api.emit(Event::ScorecardStarted {
        environment: name.to_string(),
        probes: planned,
    });
    let done = AtomicU32::new(0);
    let on_done = |probe: &str| {
        let done = done.fetch_add(1, Ordering::SeqCst) + 1;
        api.emit(Event::ProbeFinished {
            environment: name.to_string(),
            probe: probe.to_string(),
            done,
            probes: planned,
        });
    };
    let secrets = resolve_secrets(api, registry.secrets(env)).await;
    let timeout = Duration::from_millis(env.probe_timeout_ms(&config.settings));
    let gathering = registry
        .gather(name, env, &secrets, timeout, api.now(), &on_done)
        .await
        .map_err(|e| ApiError::new(ErrorCode::SetupFailed, e.to_string()))?;
    let evidence = gathering.evidence;
    let scorecard = Scorecard::compute(&rubric, &evidence);
    let previous = store.recent(name, 1).await?;
    let id = store
        .save_run(&scorecard, sample_of(&evidence).as_ref())
        .await?;
    api.inner.scorecard.stored(id);
    api.inner
        .scorecard
        .status
        .record(name, evidence.gathered_at, &gathering.sightings);
    api.emit(Event::ScorecardFinished {
        environment: name.to_string(),
        score: scorecard.score,
        grade: scorecard.grade,
    });
    let diff = previous
        .cards
        .first()
        .map(|p| ScorecardDiff::between(p, &scorecard));
    Ok(ScorecardView {
        scorecard: Some(scorecard),
        diff,
        skipped: previous.skipped,
    })
}

/// Looks up every secret the sources declared, off the async workers and
/// bounded in time. A secret that cannot be read is evidence (its checks
/// are `unknown` and say why), so a keychain that does not answer costs
/// the run its secrets, not the whole run.
pub(crate) async fn resolve_secrets(api: &Api, refs: Vec<SecretRef>) -> ResolvedSecrets {
    if refs.is_empty() {
        return ResolvedSecrets::new();
    }
    let names: Vec<String> = refs.into_iter().map(|r| r.name).collect();
    let wanted = names.clone();
    let looked_up = keychain::call(api.host().secrets.clone(), api.host().keychain_timeout, move |store| {
        wanted
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
    })
    .await;
    looked_up.unwrap_or_else(|e| {
        names
            .into_iter()
            .map(|name| (name, Err(e.message.clone())))
            .collect()
    })
}
