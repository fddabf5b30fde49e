//! The pool sampler, a service of the desktop app and `serve`: every
//! environment with a pool source is read every `[settings.pools]
//! every_ms` (5 s), and every `live_every_ms` (1 s) while someone watches
//! its Pools view (a lease the view renews). Each round is stored (good
//! samples and failures alike, so gaps are on record), kept in memory for
//! the views, and announced. Retention runs every 10 minutes.
//!
//! Every source is read over the one connection kept for it, shared with
//! any other reader in the process.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures::future::join_all;
use readyroom_core::config::{Config, Environment};
use readyroom_sources::postgres::QueryText;
use readyroom_store::{PoolKind, PoolReading};
use tokio::sync::{watch, Notify};

use super::read::{remember, sample_env, Round, QUERY_TEXT_CHARS};
use crate::events::Event;
use crate::services::Service;
use crate::Api;

pub struct PoolSampler;

/// The sampler's name among the running services.
pub(crate) const NAME: &str = "pool sampler";

/// How long one renewal of the live lease lasts.
pub(crate) const LEASE: Duration = Duration::from_secs(5);

const RETENTION_EVERY: Duration = Duration::from_secs(10 * 60);

/// Who is watching which environment's Pools view, until when, and
/// whether they asked for query text.
#[derive(Default)]
pub(crate) struct Watchers {
    leases: Mutex<HashMap<String, (Instant, bool)>>,
    /// Wakes the sampler when a view opens, so it speeds up at once.
    opened: Notify,
}

impl Watchers {
    pub(crate) fn renew(&self, environment: &str, queries: bool) {
        let fresh = {
            let mut leases = self.leases.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let was_live = leases
                .get(environment)
                .is_some_and(|(until, _)| *until > now);
            leases.insert(environment.to_string(), (now + LEASE, queries));
            !was_live
        };
        if fresh {
            self.opened.notify_one();
        }
    }

    /// The environments watched now, and whether with query text.
    fn live(&self) -> HashMap<String, bool> {
        let mut leases = self.leases.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        leases.retain(|_, (until, _)| *until > now);
        leases
            .iter()
            .map(|(env, (_, queries))| (env.clone(), *queries))
            .collect()
    }
}

/// Whether `env` has anything for the sampler to read.
pub(crate) fn has_pool_source(env: &Environment) -> bool {
    env.postgres.is_some()
        || env.pgbouncer.is_some()
        || readyroom_sources::app_pool::app_pool_target(env).is_some()
}

impl Service for PoolSampler {
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
                    .map(|c| c.settings.pools.clone())
                    .unwrap_or_default();
                let live = api.inner.pool_watchers.live();
                if let Some(config) = &config {
                    round(&api, config, &live).await;
                    if last_retention.is_none_or(|t| t.elapsed() >= RETENTION_EVERY) {
                        crate::services::retain(
                            &api,
                            "pool sample",
                            settings.retention_days,
                            |store, cutoff| Box::pin(store.prune_pool_samples(cutoff)),
                        )
                        .await;
                        last_retention = Some(Instant::now());
                    }
                }
                let every = if live.is_empty() {
                    settings.every_ms
                } else {
                    settings.live_every_ms
                };
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(every)) => {}
                    _ = api.inner.pool_watchers.opened.notified() => {}
                    _ = stop.changed() => break,
                }
            }
            api.inner.pool_connections.close_all().await;
        })
    }
}

/// One round over every environment with a pool source, at once.
async fn round(api: &Api, config: &Config, live: &HashMap<String, bool>) {
    let rounds = config
        .environments
        .iter()
        .filter(|(_, env)| has_pool_source(env))
        .map(|(name, env)| async move {
            let timeout = Duration::from_millis(env.probe_timeout_ms(&config.settings));
            let text = if live.get(name).copied().unwrap_or(false) {
                QueryText::Shown {
                    max_chars: QUERY_TEXT_CHARS,
                }
            } else {
                QueryText::Hidden
            };
            match sample_env(api, name, env, timeout, text).await {
                Ok(round) => {
                    remember(api, name, &round);
                    store(api, name, env, round).await;
                    api.emit(Event::PoolsSampled {
                        environment: name.clone(),
                    });
                }
                Err(e) => tracing::warn!(environment = %name, "pool sampling: {}", e.message),
            }
        });
    join_all(rounds).await;
}

/// Stores a round: good samples (query text only where the config keeps
/// it) and failures.
async fn store(api: &Api, name: &str, env: &Environment, round: Round) {
    let keep_text = env.postgres.as_ref().is_some_and(|pg| pg.store_query_text);
    let at = round.at;
    let failed = |(source, reason): (String, String)| PoolReading::Failed { source, reason };
    let mut rows = Vec::new();
    if let Some(r) = round.server {
        let reading = match r {
            Ok(mut sample) => {
                if !keep_text {
                    for b in &mut sample.backends {
                        b.query = None;
                    }
                }
                PoolReading::Server(sample)
            }
            Err(e) => failed(e),
        };
        rows.push((PoolKind::Server, at, reading));
    }
    if let Some(r) = round.pooler {
        rows.push((
            PoolKind::Pooler,
            at,
            r.map_or_else(failed, PoolReading::Pooler),
        ));
    }
    if let Some(r) = round.app {
        rows.push((PoolKind::App, at, r.map_or_else(failed, PoolReading::App)));
    }
    let result = match api.store().await {
        Ok(store) => store
            .save_pool_readings(name, &rows)
            .await
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.message),
    };
    if let Err(e) = result {
        tracing::warn!(environment = %name, "pool samples not stored: {e}");
    }
}
