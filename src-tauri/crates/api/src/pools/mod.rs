//! The pools area: how close an environment is to running out of
//! database connections, from its PostgreSQL server, its pooler and the
//! app's own pool.

pub(crate) mod read;
mod wire;

pub use wire::{AppPoolPanel, PoolerPanel, PoolsRequest, PoolsView, ServerPanel, SourceProblem};

use std::time::Duration;

use readyroom_sources::postgres::QueryText;

use crate::{context, Api, ApiError};

/// Reads the environment's pool sources now.
pub(crate) async fn get_pools(api: &Api, r: PoolsRequest) -> Result<PoolsView, ApiError> {
    let config = context::load_config(api)?.config;
    let (name, env) = context::environment(&config, r.environment.as_deref())?;
    let timeout = Duration::from_millis(env.probe_timeout_ms(&config.settings));
    let text = if r.queries.unwrap_or(false) {
        QueryText::Shown {
            max_chars: read::QUERY_TEXT_CHARS,
        }
    } else {
        QueryText::Hidden
    };
    read::read_now(api, name, env, timeout, text).await
}
