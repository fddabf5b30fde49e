//! The pooler's admin console (PgBouncer; Supavisor answers the same
//! commands): `SHOW POOLS`, `SHOW STATS` and `SHOW DATABASES`.
//!
//! The console speaks only the simple query protocol, which sqlx offers
//! as `raw_sql`; it also refuses startup parameters it does not track, so
//! the connection does not send `extra_float_digits`. Columns are read by
//! name, as text, because they differ between versions (1.23 added
//! `total_server_assignment_count`, 1.24 renamed `reserve_pool`), and a
//! column a version lacks is read as absent, never as zero where that
//! would mislead. A `stats_users` account is enough: these three commands
//! are all Readyroom sends.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use readyroom_core::config::Environment;
use readyroom_core::evidence::{InputId, Missing};
use readyroom_core::format::printable;
use readyroom_core::pools::evidence::POOLER;
use readyroom_core::pools::{PoolerCounters, PoolerDatabase, PoolerPool, PoolerSample};
use readyroom_core::redact::redact;
use readyroom_core::Sensitive;
use sqlx::postgres::{PgConnectOptions, PgRow};
use sqlx::{Column, Connection, PgConnection, Row, ValueRef};
use time::OffsetDateTime;

use crate::postgres::{connect, describe, Endpoint, PgFailure};
use crate::source::{BoxFuture, Findings, RunContext, SecretRef, Source};
use crate::trust::ExtraRoots;

/// The pooler's admin console, as a source.
pub struct PgBouncerSource;

impl Source for PgBouncerSource {
    fn label(&self) -> &'static str {
        "pgbouncer"
    }

    fn provides(&self) -> &'static [InputId] {
        &[POOLER.id]
    }

    fn configured(&self, env: &Environment) -> bool {
        env.pgbouncer.is_some()
    }

    fn secrets(&self, env: &Environment) -> Vec<SecretRef> {
        env.pgbouncer
            .iter()
            .map(|p| SecretRef {
                key: "pgbouncer.url_secret",
                name: p.url_secret.clone(),
            })
            .collect()
    }

    /// Connecting, three commands, and a second to say goodbye.
    fn budget(&self, ctx: &RunContext<'_>) -> Duration {
        ctx.timeout * 2 + Duration::from_secs(1)
    }

    fn gather<'a>(&'a self, ctx: &'a RunContext<'a>) -> BoxFuture<'a, Findings> {
        Box::pin(async move {
            let mut findings = Findings::new(ctx);
            let Some(section) = &ctx.env.pgbouncer else {
                return findings;
            };
            let result = match ctx.secret(&section.url_secret) {
                Ok(url) => read_pooler(url, ctx.extra_roots, ctx.timeout).await,
                Err(reason) => Err(PgFailure {
                    source: format!("secret '{}'", section.url_secret),
                    reason,
                }),
            };
            match result {
                Ok(sample) => {
                    let target = sample.source.clone();
                    findings.set(&POOLER, Ok(sample));
                    findings.seen(target, Ok(()))
                }
                Err(f) => {
                    findings.set(
                        &POOLER,
                        Err(Missing::Unavailable {
                            source: f.source.clone(),
                            reason: f.reason.clone(),
                            at: OffsetDateTime::now_utc(),
                        }),
                    );
                    findings.seen(f.source, Err(f.reason))
                }
            }
        })
    }
}

/// Connects to the console, reads one sample and says goodbye.
pub async fn read_pooler(
    url: &Sensitive<String>,
    roots: &ExtraRoots,
    timeout: Duration,
) -> Result<PoolerSample, PgFailure> {
    let source = display_source(url);
    let mut conn = connect(url, roots, timeout, Endpoint::Console, &source).await?;
    let result = sample_over(&mut conn, &source, timeout).await;
    let _ = tokio::time::timeout(Duration::from_secs(1), conn.close()).await;
    result.map_err(|f| PgFailure {
        reason: redact(&f.reason, &[url.expose()]),
        ..f
    })
}

/// One sample over a console connection, the whole read bounded by
/// `timeout`.
pub async fn sample_over(
    conn: &mut PgConnection,
    source: &str,
    timeout: Duration,
) -> Result<PoolerSample, PgFailure> {
    match tokio::time::timeout(timeout, read_pooler_sample(conn, source)).await {
        Ok(r) => r,
        Err(_) => Err(PgFailure {
            source: source.to_string(),
            reason: format!(
                "{source} did not answer SHOW POOLS/STATS/DATABASES within {} ms",
                timeout.as_millis()
            ),
        }),
    }
}

/// The console's own pseudo-database: Readyroom's session is its client,
/// so it is left out of what is reported.
const ADMIN_DATABASE: &str = "pgbouncer";

/// `pgbouncer host:port` of a console URL, for display.
pub fn display_source(url: &Sensitive<String>) -> String {
    match PgConnectOptions::from_str(url.expose()) {
        Ok(o) => format!("pgbouncer {}:{}", o.get_host(), o.get_port()),
        Err(_) => "pgbouncer (unparseable URL)".to_string(),
    }
}

/// Reads one sample over a console connection.
pub async fn read_pooler_sample(
    conn: &mut PgConnection,
    source: &str,
) -> Result<PoolerSample, PgFailure> {
    let fail = |e: sqlx::Error| PgFailure {
        source: source.to_string(),
        reason: describe_console(&e, source).unwrap_or_else(|| describe(&e, source)),
    };
    let pools = show(conn, "SHOW POOLS").await.map_err(fail)?;
    let stats = show(conn, "SHOW STATS").await.map_err(fail)?;
    let databases = show(conn, "SHOW DATABASES").await.map_err(fail)?;
    let at = OffsetDateTime::now_utc();
    let parse = |what: &str, e: String| PgFailure {
        source: source.to_string(),
        reason: format!("{source} answered {what} in a shape Readyroom does not know: {e}"),
    };
    Ok(PoolerSample {
        source: source.to_string(),
        at,
        pools: pools
            .iter()
            .map(|r| Fields::of(r).and_then(|f| pool(&f)))
            .filter(|p| !matches!(p, Ok(p) if p.database == ADMIN_DATABASE))
            .collect::<Result<_, _>>()
            .map_err(|e| parse("SHOW POOLS", e))?,
        counters: stats
            .iter()
            .map(|r| Fields::of(r).and_then(|f| counters(&f)))
            .filter(|c| !matches!(c, Ok(c) if c.database == ADMIN_DATABASE))
            .collect::<Result<_, _>>()
            .map_err(|e| parse("SHOW STATS", e))?,
        databases: databases
            .iter()
            .map(|r| Fields::of(r).and_then(|f| database(&f)))
            .filter(|d| !matches!(d, Ok(d) if d.name == ADMIN_DATABASE))
            .collect::<Result<_, _>>()
            .map_err(|e| parse("SHOW DATABASES", e))?,
    })
}

/// One console command, over the simple query protocol. (A function of
/// its own: inline, the executor's lifetimes defeat `Send` inference.)
fn show<'c>(
    conn: &'c mut PgConnection,
    command: &'static str,
) -> BoxFuture<'c, Result<Vec<PgRow>, sqlx::Error>> {
    sqlx::Executor::fetch_all(conn, sqlx::raw_sql(command))
}

/// Console errors that mean something particular for a pooler.
pub(crate) fn describe_console(err: &sqlx::Error, source: &str) -> Option<String> {
    if let sqlx::Error::Io(io) = err {
        return (io.kind() == std::io::ErrorKind::ConnectionRefused).then(|| {
            format!("{source} refused the connection; is PgBouncer running and listening there?")
        });
    }
    let db = err.as_database_error()?;
    let message = db.message();
    if message.contains("not allowed") || message.contains("admin access needed") {
        return Some(format!(
            "{source} refused the console: {message}. Add the stored user to stats_users (or admin_users) in pgbouncer.ini"
        ));
    }
    if message.contains("unsupported startup parameter") {
        return Some(format!(
            "{source} refused a startup parameter ({message}); is this a PgBouncer admin console (database pgbouncer)?"
        ));
    }
    if message.contains("no such database") {
        return Some(format!(
            "{source}: {message}. The console URL must name the database pgbouncer"
        ));
    }
    None
}

/// One row's columns by name, as text (the simple protocol's format).
struct Fields<'r>(HashMap<&'r str, Option<&'r str>>);

impl<'r> Fields<'r> {
    fn of(row: &'r PgRow) -> Result<Fields<'r>, String> {
        let mut map = HashMap::new();
        for (i, column) in row.columns().iter().enumerate() {
            let raw = row.try_get_raw(i).map_err(|e| e.to_string())?;
            let value = if raw.is_null() {
                None
            } else {
                Some(
                    raw.as_str()
                        .map_err(|e| format!("column {}: {e}", column.name()))?,
                )
            };
            map.insert(column.name(), value);
        }
        Ok(Fields(map))
    }

    fn text(&self, name: &str) -> Result<String, String> {
        match self.0.get(name) {
            Some(Some(v)) => Ok(printable(v)),
            Some(None) => Ok(String::new()),
            None => Err(format!("no column {name}")),
        }
    }

    /// A count that must be there.
    fn count(&self, name: &str) -> Result<u64, String> {
        self.count_of(&[name])?
            .ok_or_else(|| format!("no column {name}"))
    }

    /// The first of `names` the row has, as a count; `None` when it has
    /// none of them.
    fn count_of(&self, names: &[&str]) -> Result<Option<u64>, String> {
        for name in names {
            match self.0.get(name) {
                Some(Some(v)) => {
                    return v
                        .trim()
                        .parse::<u64>()
                        .map(Some)
                        .map_err(|_| format!("column {name} is not a count: {v:?}"))
                }
                Some(None) => return Ok(Some(0)),
                None => {}
            }
        }
        Ok(None)
    }

    fn flag(&self, name: &str) -> bool {
        matches!(self.0.get(name), Some(Some(v)) if *v == "1" || *v == "t" || *v == "true")
    }
}

fn pool(f: &Fields<'_>) -> Result<PoolerPool, String> {
    let maxwait_s = f.count("maxwait")?;
    let maxwait_us = f.count_of(&["maxwait_us"])?.unwrap_or(0);
    Ok(PoolerPool {
        database: f.text("database")?,
        user: f.text("user")?,
        cl_active: f.count("cl_active")?,
        cl_waiting: f.count("cl_waiting")?,
        sv_active: f.count("sv_active")?,
        sv_idle: f.count("sv_idle")?,
        sv_used: f.count("sv_used")?,
        sv_tested: f.count("sv_tested")?,
        sv_login: f.count("sv_login")?,
        maxwait_us: maxwait_s * 1_000_000 + maxwait_us,
        pool_mode: f.text("pool_mode").unwrap_or_default(),
    })
}

fn counters(f: &Fields<'_>) -> Result<PoolerCounters, String> {
    Ok(PoolerCounters {
        database: f.text("database")?,
        xact_count: f.count("total_xact_count")?,
        // Before 1.8 queries were "requests".
        query_count: f
            .count_of(&["total_query_count", "total_requests"])?
            .ok_or("no column total_query_count")?,
        wait_time_us: f.count("total_wait_time")?,
        xact_time_us: f.count("total_xact_time")?,
        query_time_us: f.count("total_query_time")?,
        server_assignments: f.count_of(&["total_server_assignment_count"])?,
    })
}

fn database(f: &Fields<'_>) -> Result<PoolerDatabase, String> {
    Ok(PoolerDatabase {
        name: f.text("name")?,
        pool_size: f.count("pool_size")?,
        reserve_pool: f
            .count_of(&["reserve_pool", "reserve_pool_size"])?
            .unwrap_or(0),
        max_connections: f.count_of(&["max_connections"])?.unwrap_or(0),
        current_connections: f.count_of(&["current_connections"])?.unwrap_or(0),
        paused: f.flag("paused"),
        disabled: f.flag("disabled"),
    })
}
