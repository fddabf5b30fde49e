//! What one sample of each pool source holds: the PostgreSQL server's
//! backends, the pooler's pools and counters, the app's own pool.
//!
//! Samples are plain data: the sources fill them in, the store keeps them
//! (as JSON, in its own row format), and the judgements in this module read
//! them. Readyroom's own sessions are never in them.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use ts_rs::TS;

/// Client backends of the server by state (`pg_stat_activity.state`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StateCounts {
    #[ts(type = "number")]
    pub active: u64,
    #[ts(type = "number")]
    pub idle: u64,
    #[ts(type = "number")]
    pub idle_in_transaction: u64,
    #[ts(type = "number")]
    pub idle_in_transaction_aborted: u64,
    /// `fastpath function call` and `disabled`.
    #[ts(type = "number")]
    pub other: u64,
    /// Backends whose state Readyroom's role may not see (another role's,
    /// without `pg_read_all_stats`): counted, but not by state.
    #[ts(type = "number")]
    pub hidden: u64,
}

impl StateCounts {
    /// Every client backend, whatever its state.
    pub fn total(&self) -> u64 {
        self.active
            + self.idle
            + self.idle_in_transaction
            + self.idle_in_transaction_aborted
            + self.other
            + self.hidden
    }

    /// Adds one backend in `state` (as `pg_stat_activity` spells it;
    /// `None` when it is hidden from this role).
    pub fn add(&mut self, state: Option<&str>, count: u64) {
        let slot = match state {
            Some("active") => &mut self.active,
            Some("idle") => &mut self.idle,
            Some("idle in transaction") => &mut self.idle_in_transaction,
            Some("idle in transaction (aborted)") => &mut self.idle_in_transaction_aborted,
            Some(_) => &mut self.other,
            None => &mut self.hidden,
        };
        *slot += count;
    }
}

/// Client backends of one application, user and client address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BackendGroup {
    pub application: String,
    pub user: String,
    /// The client's address, or `local` for a Unix socket.
    pub client: String,
    pub states: StateCounts,
}

/// One backend worth naming: waiting on a lock, blocking one, holding the
/// oldest transaction, or running one of the longest queries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Backend {
    pub pid: i32,
    /// Its state; `None` when hidden from Readyroom's role.
    pub state: Option<String>,
    pub application: String,
    pub user: String,
    pub client: String,
    /// How long its transaction has been open, ms.
    #[ts(type = "number | null")]
    pub xact_age_ms: Option<u64>,
    /// How long it has been in its current state, ms.
    #[ts(type = "number | null")]
    pub state_age_ms: Option<u64>,
    /// How long its current (or last) query has run, ms.
    #[ts(type = "number | null")]
    pub query_age_ms: Option<u64>,
    /// `Lock: transactionid`, `Client: ClientRead`…
    pub wait_event: Option<String>,
    /// The pids holding what it waits for (`pg_blocking_pids`).
    pub blocked_by: Vec<i32>,
    /// The query text, truncated; only when it was asked for.
    pub query: Option<String>,
}

impl Backend {
    pub fn is_idle_in_transaction(&self) -> bool {
        matches!(
            self.state.as_deref(),
            Some("idle in transaction" | "idle in transaction (aborted)")
        )
    }
}

/// One sample of the PostgreSQL server's side (`pg_stat_activity`,
/// `pg_stat_database`, the connection limits).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ServerSample {
    /// `postgres host:port/db`, credentials stripped.
    pub source: String,
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    pub at: OffsetDateTime,
    /// `server_version_num` (150004 for 15.4).
    pub server_version: u32,
    #[ts(type = "number")]
    pub max_connections: u64,
    /// `superuser_reserved_connections`, plus `reserved_connections` on 16+.
    #[ts(type = "number")]
    pub reserved_connections: u64,
    pub states: StateCounts,
    /// The largest groups by application, user and client, most backends
    /// first (at most [`ServerSample::GROUPS`]).
    pub groups: Vec<BackendGroup>,
    /// Backends worth naming (lock waits and their blockers, the oldest
    /// transactions, the longest queries), each once.
    pub backends: Vec<Backend>,
    /// Of the app's database (`pg_stat_database`): counters.
    #[ts(type = "number")]
    pub blocks_hit: u64,
    #[ts(type = "number")]
    pub blocks_read: u64,
    #[ts(type = "number")]
    pub xact_commit: u64,
    #[ts(type = "number")]
    pub xact_rollback: u64,
}

impl ServerSample {
    /// How many groups a sample keeps.
    pub const GROUPS: usize = 20;

    /// Client backends, Readyroom's own excluded.
    pub fn client_connections(&self) -> u64 {
        self.states.total()
    }

    pub fn usable_connections(&self) -> u64 {
        self.max_connections
            .saturating_sub(self.reserved_connections)
    }

    /// Share of usable connections in use, in percent.
    pub fn used_pct(&self) -> Option<f64> {
        let usable = self.usable_connections();
        (usable > 0).then(|| self.client_connections() as f64 * 100.0 / usable as f64)
    }

    pub fn cache_hit_pct(&self) -> Option<f64> {
        let total = self.blocks_hit + self.blocks_read;
        (total > 0).then(|| self.blocks_hit as f64 * 100.0 / total as f64)
    }

    /// The backend whose transaction has been open longest.
    pub fn oldest_transaction(&self) -> Option<&Backend> {
        self.backends
            .iter()
            .filter(|b| b.xact_age_ms.is_some())
            .max_by_key(|b| (b.xact_age_ms, -b.pid))
    }

    /// The backend longest idle in a transaction.
    pub fn oldest_idle_in_transaction(&self) -> Option<&Backend> {
        self.backends
            .iter()
            .filter(|b| b.is_idle_in_transaction())
            .max_by_key(|b| (b.state_age_ms, -b.pid))
    }

    /// Backends waiting on a lock held by another.
    pub fn lock_waits(&self) -> impl Iterator<Item = &Backend> {
        self.backends.iter().filter(|b| !b.blocked_by.is_empty())
    }
}

/// One pool of the pooler (a `SHOW POOLS` row).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PoolerPool {
    pub database: String,
    pub user: String,
    #[ts(type = "number")]
    pub cl_active: u64,
    /// Clients waiting for a server connection.
    #[ts(type = "number")]
    pub cl_waiting: u64,
    #[ts(type = "number")]
    pub sv_active: u64,
    #[ts(type = "number")]
    pub sv_idle: u64,
    #[ts(type = "number")]
    pub sv_used: u64,
    #[ts(type = "number")]
    pub sv_tested: u64,
    #[ts(type = "number")]
    pub sv_login: u64,
    /// How long the oldest waiting client has waited, µs (`maxwait` and
    /// `maxwait_us` together).
    #[ts(type = "number")]
    pub maxwait_us: u64,
    pub pool_mode: String,
}

impl PoolerPool {
    pub fn servers(&self) -> u64 {
        self.sv_active + self.sv_idle + self.sv_used + self.sv_tested + self.sv_login
    }
}

/// One database of the pooler (a `SHOW DATABASES` row).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PoolerDatabase {
    pub name: String,
    /// The server connections one pool may open.
    #[ts(type = "number")]
    pub pool_size: u64,
    #[ts(type = "number")]
    pub reserve_pool: u64,
    /// `max_db_connections`; 0 is unlimited.
    #[ts(type = "number")]
    pub max_connections: u64,
    #[ts(type = "number")]
    pub current_connections: u64,
    pub paused: bool,
    pub disabled: bool,
}

/// One database's counters (a `SHOW STATS` row): they only grow, until
/// the pooler restarts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PoolerCounters {
    pub database: String,
    #[ts(type = "number")]
    pub xact_count: u64,
    #[ts(type = "number")]
    pub query_count: u64,
    /// Time clients spent waiting for a server, µs.
    #[ts(type = "number")]
    pub wait_time_us: u64,
    #[ts(type = "number")]
    pub xact_time_us: u64,
    #[ts(type = "number")]
    pub query_time_us: u64,
    /// Times a server was given to a client (PgBouncer 1.23+); older
    /// versions: `None`, and waits are averaged per transaction.
    #[ts(type = "number | null")]
    pub server_assignments: Option<u64>,
}

/// One sample of the pooler's admin console.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PoolerSample {
    /// `pgbouncer host:port`, credentials stripped.
    pub source: String,
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    pub at: OffsetDateTime,
    /// The pooler's own admin pseudo-database is left out: Readyroom's
    /// console session is its only client.
    pub pools: Vec<PoolerPool>,
    pub databases: Vec<PoolerDatabase>,
    pub counters: Vec<PoolerCounters>,
}

impl PoolerSample {
    pub fn clients_waiting(&self) -> u64 {
        self.pools.iter().map(|p| p.cl_waiting).sum()
    }

    pub fn clients_active(&self) -> u64 {
        self.pools.iter().map(|p| p.cl_active).sum()
    }

    /// The longest any client has been waiting now, µs.
    pub fn max_wait_us(&self) -> u64 {
        self.pools.iter().map(|p| p.maxwait_us).max().unwrap_or(0)
    }
}

/// One sample of the app's own pool, from its Prometheus metrics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppPoolSample {
    /// The metrics URL.
    pub source: String,
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    pub at: OffsetDateTime,
    /// Which metric names were read: a preset's name or `custom`.
    pub names: String,
    pub in_use: Option<f64>,
    pub idle: Option<f64>,
    /// Callers waiting for a connection.
    pub waiting: Option<f64>,
    pub max: Option<f64>,
}

impl AppPoolSample {
    /// Share of the pool in use, in percent.
    pub fn used_pct(&self) -> Option<f64> {
        match (self.in_use, self.max) {
            (Some(used), Some(max)) if max > 0.0 => Some(used * 100.0 / max),
            _ => None,
        }
    }
}
