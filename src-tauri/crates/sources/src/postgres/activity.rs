//! One sample of the server's side: client backends by state and by
//! application, user and client; the sessions worth naming (lock waits
//! with their blocking pids, their blockers, the oldest transactions, the
//! longest queries); the connection limits and the database's counters.
//!
//! Three statements in one read-only transaction, so they read one
//! snapshot of `pg_stat_activity` (PostgreSQL takes it once per
//! transaction). The per-backend work is a scan and a group-by; the
//! expensive call, `pg_blocking_pids`, runs only for sessions waiting on a
//! lock. Query text is read only when asked for, and truncated.

use std::collections::BTreeMap;
use std::time::Duration;

use readyroom_core::format::printable;
use readyroom_core::pools::{Backend, BackendGroup, ServerSample, StateCounts};
use sqlx::{PgConnection, Row};
use time::OffsetDateTime;

use super::APPLICATION_NAME;

/// Whether to read the sessions' query text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryText {
    /// Never read (the sampler's default: nothing a query carries is
    /// stored unless asked for).
    Hidden,
    /// Read, cut to this many characters.
    Shown { max_chars: u32 },
}

/// The client backends Readyroom reports on (and the only ones it may
/// signal): client sessions (or sessions of another role whose type this
/// role may not see), never its own. `$1` is Readyroom's application name.
pub(super) const CLIENTS: &str =
    "(backend_type = 'client backend' OR (backend_type IS NULL AND usesysid IS NOT NULL)) \
     AND pid <> pg_backend_pid() AND application_name IS DISTINCT FROM $1";

/// The limits and the database's counters: one row.
const LIMITS: &str = "SELECT \
       current_setting('server_version_num')::int AS version, \
       current_setting('max_connections')::bigint AS max_connections, \
       current_setting('superuser_reserved_connections')::bigint \
         + COALESCE(NULLIF(current_setting('reserved_connections', true), ''), '0')::bigint AS reserved, \
       COALESCE(d.blks_hit, 0)::bigint AS hit, COALESCE(d.blks_read, 0)::bigint AS read, \
       COALESCE(d.xact_commit, 0)::bigint AS commits, COALESCE(d.xact_rollback, 0)::bigint AS rollbacks \
     FROM (SELECT 1) one LEFT JOIN pg_stat_database d ON d.datname = current_database()";

/// How many of each kind of session a sample names.
const NAMED_PER_KIND: i64 = 5;

fn groups_sql() -> String {
    format!(
        "SELECT state, COALESCE(application_name, '') AS application, COALESCE(usename::text, '') AS username, \
           CASE WHEN client_addr IS NOT NULL THEN host(client_addr) \
                WHEN client_port = -1 THEN 'local' ELSE '' END AS client, \
           count(*)::bigint AS n \
         FROM pg_stat_activity WHERE {CLIENTS} GROUP BY 1, 2, 3, 4"
    )
}

fn backends_sql() -> String {
    format!(
        "WITH a AS (SELECT * FROM pg_stat_activity WHERE {CLIENTS}), \
         w AS (SELECT pid, pg_blocking_pids(pid) AS blocked_by FROM a WHERE wait_event_type = 'Lock'), \
         picked AS ( \
             SELECT pid FROM w \
             UNION SELECT unnest(blocked_by) FROM w \
             UNION (SELECT pid FROM a WHERE xact_start IS NOT NULL ORDER BY xact_start LIMIT {NAMED_PER_KIND}) \
             UNION (SELECT pid FROM a WHERE state LIKE 'idle in transaction%' ORDER BY state_change LIMIT {NAMED_PER_KIND}) \
             UNION (SELECT pid FROM a WHERE state = 'active' ORDER BY query_start LIMIT {NAMED_PER_KIND})) \
         SELECT a.pid, a.state, COALESCE(a.application_name, '') AS application, \
           COALESCE(a.usename::text, '') AS username, \
           CASE WHEN a.client_addr IS NOT NULL THEN host(a.client_addr) \
                WHEN a.client_port = -1 THEN 'local' ELSE '' END AS client, \
           (extract(epoch FROM now() - a.xact_start) * 1000)::bigint AS xact_ms, \
           (extract(epoch FROM now() - a.state_change) * 1000)::bigint AS state_ms, \
           (extract(epoch FROM now() - a.query_start) * 1000)::bigint AS query_ms, \
           a.wait_event_type || ': ' || a.wait_event AS wait_event, \
           COALESCE(w.blocked_by, '{{}}'::int[]) AS blocked_by, \
           CASE WHEN $2 > 0 THEN left(a.query, $2) END AS query \
         FROM a JOIN picked USING (pid) LEFT JOIN w USING (pid)"
    )
}

/// Reads one sample over `conn`, inside a read-only transaction bounded by
/// `statement_timeout`. `source` names where it came from.
pub async fn read_server_sample(
    conn: &mut PgConnection,
    source: &str,
    statement_timeout: Duration,
    text: QueryText,
) -> Result<ServerSample, sqlx::Error> {
    let mut tx = super::read_only(conn, statement_timeout).await?;
    let limits = sqlx::query(LIMITS).fetch_one(&mut *tx).await?;
    let groups = sqlx::query(&groups_sql())
        .bind(APPLICATION_NAME)
        .fetch_all(&mut *tx)
        .await?;
    let max_chars = match text {
        QueryText::Hidden => 0,
        QueryText::Shown { max_chars } => i32::try_from(max_chars).unwrap_or(i32::MAX),
    };
    let backends = sqlx::query(&backends_sql())
        .bind(APPLICATION_NAME)
        .bind(max_chars)
        .fetch_all(&mut *tx)
        .await?;
    tx.rollback().await?;

    let count = |name: &str| -> Result<u64, sqlx::Error> {
        Ok(limits.try_get::<i64, _>(name)?.max(0) as u64)
    };
    let (states, groups) = tally(&groups)?;
    let mut named = Vec::with_capacity(backends.len());
    for row in &backends {
        named.push(backend(row)?);
    }
    named.sort_by_key(|b| b.pid);
    Ok(ServerSample {
        source: source.to_string(),
        at: OffsetDateTime::now_utc(),
        server_version: limits.try_get::<i32, _>("version")?.max(0) as u32,
        max_connections: count("max_connections")?,
        reserved_connections: count("reserved")?,
        states,
        groups,
        backends: named,
        blocks_hit: count("hit")?,
        blocks_read: count("read")?,
        xact_commit: count("commits")?,
        xact_rollback: count("rollbacks")?,
    })
}

/// The state totals, and the largest groups by application, user and client.
fn tally(rows: &[sqlx::postgres::PgRow]) -> Result<(StateCounts, Vec<BackendGroup>), sqlx::Error> {
    let mut states = StateCounts::default();
    let mut by_group: BTreeMap<(String, String, String), StateCounts> = BTreeMap::new();
    for row in rows {
        let state: Option<String> = row.try_get("state")?;
        let n = row.try_get::<i64, _>("n")?.max(0) as u64;
        states.add(state.as_deref(), n);
        let key = (
            printable(&row.try_get::<String, _>("application")?),
            printable(&row.try_get::<String, _>("username")?),
            row.try_get("client")?,
        );
        by_group.entry(key).or_default().add(state.as_deref(), n);
    }
    let mut groups: Vec<BackendGroup> = by_group
        .into_iter()
        .map(|((application, user, client), states)| BackendGroup {
            application,
            user,
            client,
            states,
        })
        .collect();
    groups.sort_by_key(|g| std::cmp::Reverse(g.states.total()));
    groups.truncate(ServerSample::GROUPS);
    Ok((states, groups))
}

fn backend(row: &sqlx::postgres::PgRow) -> Result<Backend, sqlx::Error> {
    let ms = |name: &str| -> Result<Option<u64>, sqlx::Error> {
        Ok(row
            .try_get::<Option<i64>, _>(name)?
            .map(|v| v.max(0) as u64))
    };
    Ok(Backend {
        pid: row.try_get("pid")?,
        state: row.try_get("state")?,
        application: printable(&row.try_get::<String, _>("application")?),
        user: printable(&row.try_get::<String, _>("username")?),
        client: row.try_get("client")?,
        xact_age_ms: ms("xact_ms")?,
        state_age_ms: ms("state_ms")?,
        query_age_ms: ms("query_ms")?,
        wait_event: row.try_get("wait_event")?,
        blocked_by: row.try_get("blocked_by")?,
        query: row
            .try_get::<Option<String>, _>("query")?
            .map(|q| printable(&q)),
    })
}
