//! The pools area: how close an environment is to running out of
//! database connections, from its PostgreSQL server, its pooler and the
//! app's own pool.

pub(crate) mod read;
pub(crate) mod service;
mod wire;

pub use service::PoolSampler;
pub use wire::{
    AppPoolPanel, PoolerPanel, PoolsRequest, PoolsView, PoolsWatched, ServerPanel, SourceProblem,
    WatchPoolsRequest,
};

use std::time::Duration;

use readyroom_sources::postgres::QueryText;

use crate::{context, Api, ApiError};

/// The environment's pools: what the sampler read last when it runs (and
/// read recently), else read now.
pub(crate) async fn get_pools(api: &Api, r: PoolsRequest) -> Result<PoolsView, ApiError> {
    let config = context::load_config(api)?.config;
    let (name, env) = context::environment(&config, r.environment.as_deref())?;
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
