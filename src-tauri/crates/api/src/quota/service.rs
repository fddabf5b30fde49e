//! The quota sampler, a service of the desktop app and `serve`: every
//! environment with a quota source is read every `[settings.quota]
//! every_ms` (a minute) and the reading stored as a snapshot with the
//! workspaces worth remembering per day, so the trend ("who has been
//! throttled all week") survives restarts. A failed read is stored too:
//! gaps are on record. Retention runs every 10 minutes.
//!
//! Each read is the same one the Quotas view makes: read-only, under the
//! environment's timeouts, over the connection kept for its PostgreSQL
//! source (shared with the pool sampler) or one call of the usage
//! endpoint's pages.

use std::time::{Duration, Instant};

use futures::future::join_all;
use readyroom_core::config::Config;
use readyroom_core::quota::trend::{Snapshot, WorkspaceDay};
use readyroom_core::quota::ListRequest;
use tokio::sync::watch;

use super::read::read;
use crate::services::Service;
use crate::Api;

pub struct QuotaSampler;

/// The sampler's name among the running services.
pub(crate) const NAME: &str = "quota sampler";

const RETENTION_EVERY: Duration = Duration::from_secs(10 * 60);

impl Service for QuotaSampler {
    fn name(&self) -> &'static str {
        NAME
    }

    fn run(
        &self,
        api: Api,
        mut stop: watch::Receiver<bool>,
    ) -> readyroom_sources::BoxFuture<'static, ()> {
        Box::pin(async move {
            let mut last_retention: Option<Instant> = None;
            loop {
                // Read fresh each round: an edited config takes effect
                // without a restart; an invalid one pauses sampling.
                let config = crate::context::load_config(&api).ok().map(|c| c.config);
                let settings = config
                    .as_ref()
                    .map(|c| c.settings.quota.clone())
                    .unwrap_or_default();
                if let Some(config) = &config {
                    tokio::select! {
                        _ = round(&api, config, settings.keep) => {}
                        _ = stop.changed() => break,
                    }
                    if last_retention.is_none_or(|t| t.elapsed() >= RETENTION_EVERY) {
                        crate::services::retain(
                            &api,
                            "quota snapshot",
                            settings.retention_days,
                            |store, cutoff| Box::pin(store.prune_quota(cutoff)),
                        )
                        .await;
                        last_retention = Some(Instant::now());
                    }
                }
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(settings.every_ms)) => {}
                    _ = stop.changed() => break,
                }
            }
        })
    }
}

/// One reading of every environment with a quota source, at once.
async fn round(api: &Api, config: &Config, keep: u32) {
    let plans = config.quota.plans();
    let request = ListRequest {
        tier: None,
        cap: keep,
    };
    let reads = config
        .environments
        .iter()
        .filter_map(|(name, env)| Some((name, env, env.quota.as_ref()?)))
        .map(|(name, env, quota)| {
            let (plans, request) = (&plans, &request);
            async move {
                let timeout = Duration::from_millis(env.probe_timeout_ms(&config.settings));
                let at = api.now();
                let (snapshot, workspaces, at) =
                    match read(api, name, env, quota, plans, request, timeout).await {
                        Ok((_, Ok(reading))) => (
                            Snapshot::Read {
                                tiers: reading.tiers.clone(),
                                ai_cost: reading.ai_cost.clone(),
                            },
                            WorkspaceDay::of(&reading),
                            reading.at,
                        ),
                        Ok((_, Err((source, reason)))) => {
                            (Snapshot::Failed { source, reason }, Vec::new(), at)
                        }
                        Err(e) => {
                            tracing::warn!(environment = %name, "quota sampling: {}", e.message);
                            return;
                        }
                    };
                let stored = match api.store().await {
                    Ok(store) => store
                        .save_quota_snapshot(name, at, &snapshot, &workspaces)
                        .await
                        .map_err(|e| e.to_string()),
                    Err(e) => Err(e.message),
                };
                if let Err(e) = stored {
                    tracing::warn!(environment = %name, "quota snapshot not stored: {e}");
                }
            }
        });
    join_all(reads).await;
}
