//! The pools area: how close an environment is to running out of
//! database connections, from its PostgreSQL server, its pooler and the
//! app's own pool.

pub(crate) mod cancel;
pub(crate) mod read;
pub(crate) mod service;
pub(crate) mod waits;
mod wire;

pub use cancel::{BackendSignalled, SignalBackendRequest};
pub use service::PoolSampler;
pub use waits::{PoolWaitsRequest, PoolWaitsView};
pub use wire::{
    ActionAvailability, AppPoolPanel, PoolerPanel, PoolsRequest, PoolsView, PoolsWatched,
    ServerPanel, SourceProblem, WatchPoolsRequest,
};

use std::time::Duration;

use readyroom_core::config::Config;
use readyroom_core::pools::max_gap;
use readyroom_core::pools::series::{series, PoolKind, PoolSeries};
use readyroom_sources::postgres::QueryText;

use crate::{context, Api, ApiError};

/// The environment's pools: what the sampler read last when it runs (and
/// read recently), else read now; with the stored samples of the last
/// `minutes` as series.
pub(crate) async fn get_pools(api: &Api, r: PoolsRequest) -> Result<PoolsView, ApiError> {
    let minutes = r.minutes.unwrap_or(15).clamp(1, 1_440);
    let config = context::load_config(api)?.config;
    let mut view = current(api, &config, &r).await?;
    let (name, env) = context::environment(&config, Some(&view.environment))?;
    view.server.cancel = cancel::availability(api, name, env);
    let every = Duration::from_millis(config.settings.pools.every_ms);
    let from = api.now() - time::Duration::minutes(i64::from(minutes));
    // Charts are an addition: a store that cannot be read leaves them empty.
    match stored_series(api, &view.environment, from, every).await {
        Ok((series, skipped)) => {
            view.series = series;
            view.skipped = skipped;
        }
        Err(e) => tracing::warn!("pool series: {}", e.message),
    }
    view.minutes = minutes;
    Ok(view)
}

/// Most points of one source a chart draws: about one per unit of the
/// charts' 560-unit width. A window holding more samples (an hour of 1 s
/// ones, a day of 5 s) is drawn from the busiest sample of each of this
/// many stretches.
const CHART_POINTS: u32 = 600;

pub(crate) async fn stored_series(
    api: &Api,
    environment: &str,
    from: time::OffsetDateTime,
    every: Duration,
) -> Result<(PoolSeries, u32), ApiError> {
    let store = api.store().await?;
    let to = api.now();
    let mut readings = Vec::new();
    let mut skipped = 0;
    let mut stretch_ms = None;
    for kind in [PoolKind::Server, PoolKind::Pooler, PoolKind::App] {
        let h = store
            .pool_history(environment, kind, from, to, CHART_POINTS)
            .await?;
        skipped += h.skipped;
        stretch_ms = stretch_ms.max(h.stretch_ms);
        readings.extend(h.readings.into_iter().map(|r| (r.kind, r.at, r.reading)));
    }
    // Two readings kept from neighbouring stretches may be two stretches
    // apart: their rates are the average over that time (the counters are
    // cumulative), not a gap.
    let gap =
        max_gap(every) + time::Duration::milliseconds(2 * stretch_ms.map_or(0, |ms| ms as i64));
    let mut series = series(&readings, gap);
    series.stretch_ms = stretch_ms.map(|ms| ms as f64);
    Ok((series, skipped))
}

async fn current(api: &Api, config: &Config, r: &PoolsRequest) -> Result<PoolsView, ApiError> {
    let (name, env) = context::environment(config, r.environment.as_deref())?;
    let queries = r.queries.unwrap_or(false);
    if api.running_services().contains(&service::NAME) {
        // Two of the sampler's normal intervals: it is not lagging.
        let recent =
            api.now() - time::Duration::milliseconds(2 * config.settings.pools.every_ms as i64);
        if let Some(view) = read::remembered(api, name, env, recent) {
            let has_text = view
                .server
                .sample
                .as_ref()
                .is_none_or(|s| s.backends.iter().all(|b| b.query.is_some()));
            if !queries || has_text {
                return Ok(view);
            }
        }
    }
    let timeout = Duration::from_millis(env.probe_timeout_ms(&config.settings));
    let text = if queries {
        QueryText::Shown {
            max_chars: read::QUERY_TEXT_CHARS,
        }
    } else {
        QueryText::Hidden
    };
    read::read_now(api, name, env, timeout, text).await
}

/// The Pools view is open on an environment: sample it every
/// `live_every_ms` for the next few seconds (the view renews this).
pub(crate) async fn watch_pools(api: &Api, r: WatchPoolsRequest) -> Result<PoolsWatched, ApiError> {
    let config = context::load_config(api)?.config;
    let (name, _) = context::environment(&config, r.environment.as_deref())?;
    api.inner
        .pool_watchers
        .renew(name, r.queries.unwrap_or(false));
    Ok(PoolsWatched {
        environment: name.to_string(),
        lease_seconds: service::LEASE.as_secs() as u32,
        every_ms: config.settings.pools.live_every_ms,
        sampling: api.running_services().contains(&service::NAME),
    })
}
