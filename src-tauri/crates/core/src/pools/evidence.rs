//! What the pool checks read: one sample of each pool source, taken by a
//! scorecard run with the same code the sampler uses.

use super::sample::{AppPoolSample, PoolerSample, ServerSample};
use crate::evidence::Input;

/// The PostgreSQL server's side: connections against the usable limit,
/// the buffer cache.
pub const POSTGRES: Input<ServerSample> = Input::new(
    "postgres",
    "add [environments.NAME.postgres] with url_secret",
);

/// The pooler's admin console (PgBouncer, Supavisor).
pub const POOLER: Input<PoolerSample> = Input::new(
    "pooler",
    "add [environments.NAME.pgbouncer] with url_secret (a stats_users account on the admin console)",
);

/// The app's own pool, from its Prometheus metrics.
pub const APP_POOL: Input<AppPoolSample> = Input::new(
    "app_pool",
    "set metrics_url for the environment, exporting the app's pool metrics (or name them in [environments.NAME.app_pool])",
);
