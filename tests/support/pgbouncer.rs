//! A real PgBouncer of the test's own (TESTING.md), started with the
//! demo's launcher (`readyroom_demo::pgbouncer`): a generated
//! `pgbouncer.ini` and userlist in a temp dir, on a free loopback port, in
//! front of one of the test's databases on the machine's PostgreSQL, in
//! transaction mode with a small pool so tests can drive it past its size.
//! It can be restarted on the same port (its counters start again at 0),
//! and is stopped when dropped.

pub use readyroom_demo::pgbouncer::PgBouncer;
use readyroom_demo::pgbouncer::{PoolMode, Settings};

/// The admin and stats accounts and the app's, with their passwords.
pub const ADMIN: (&str, &str) = ("pgb_admin", "admin-pw-7f3a");
pub const STATS: (&str, &str) = ("pgb_stats", "stats-pw-91c2");
pub const APP: (&str, &str) = ("app", "app-pw-44d0");

/// Starts one in front of `database` (a database on the tests' server)
/// with `pool_size` server connections; clients reach it as `app`. `Err`
/// says why it cannot run here.
pub fn start(database: &str, pool_size: u32) -> Result<PgBouncer, String> {
    let mut upstream = url::Url::parse(&crate::postgres::admin_url()).map_err(|e| e.to_string())?;
    upstream.set_path(database);
    let settings = Settings {
        upstream: upstream.to_string(),
        database: "app".into(),
        pool_mode: PoolMode::Transaction,
        pool_size,
        accounts: [ADMIN, STATS, APP]
            .iter()
            .map(|(u, p)| (u.to_string(), p.to_string()))
            .collect(),
        admin_users: vec![ADMIN.0.into()],
        stats_users: vec![STATS.0.into()],
    };
    PgBouncer::start(&settings, &std::env::temp_dir())
}
