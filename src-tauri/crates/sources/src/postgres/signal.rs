//! Cancelling or terminating one backend (`pg_cancel_backend`,
//! `pg_terminate_backend`): Readyroom's one write to a PostgreSQL server,
//! sent only by the confirmed, audited action in the API, over the
//! source's one kept connection.
//!
//! The pid an operator picked was read in an earlier sample, and pids are
//! reused: the signal goes out in the same statement that checks the pid
//! is still that session (a client backend, not Readyroom's own, with the
//! application and user the operator saw), so it can never reach another.

use std::time::Duration;

use sqlx::{PgConnection, Row};

use super::activity::CLIENTS;
use super::{PgFailure, APPLICATION_NAME};

/// Which signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// Stops the running query; the session stays.
    Cancel,
    /// Ends the session (its open transaction rolls back).
    Terminate,
}

impl Signal {
    fn function(self) -> &'static str {
        match self {
            Signal::Cancel => "pg_cancel_backend",
            Signal::Terminate => "pg_terminate_backend",
        }
    }
}

/// The session the operator picked, as they saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picked {
    pub pid: i32,
    pub application: String,
    pub username: String,
}

/// What the server answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signalled {
    /// PostgreSQL sent the signal.
    Sent,
    /// PostgreSQL found the backend and could not signal it (it returned
    /// false: the process was gone by then).
    NotSent,
    /// No such session any more (gone, or the pid is now another one):
    /// nothing was sent.
    Gone,
}

/// Signals `picked` if it is still that session, in one statement under
/// `statement_timeout`.
pub async fn signal_backend(
    conn: &mut PgConnection,
    picked: &Picked,
    signal: Signal,
    statement_timeout: Duration,
) -> Result<Signalled, sqlx::Error> {
    // Read-only: a signal is not a write to any table, and nothing else in
    // this transaction may be.
    let mut tx = super::read_only(conn, statement_timeout).await?;
    let row = sqlx::query(&format!(
        "SELECT {}(pid) AS sent FROM pg_stat_activity \
         WHERE {CLIENTS} AND pid = $2 \
           AND COALESCE(application_name, '') = $3 AND COALESCE(usename::text, '') = $4",
        signal.function()
    ))
    .bind(APPLICATION_NAME)
    .bind(picked.pid)
    .bind(&picked.application)
    .bind(&picked.username)
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(match row {
        None => Signalled::Gone,
        Some(r) if r.try_get::<bool, _>("sent")? => Signalled::Sent,
        Some(_) => Signalled::NotSent,
    })
}

/// [`signal_backend`] with the whole exchange bounded by
/// `statement_timeout + grace`, its failure in an operator's words.
pub async fn signal_over(
    conn: &mut PgConnection,
    source: &str,
    picked: &Picked,
    signal: Signal,
    statement_timeout: Duration,
    grace: Duration,
) -> Result<Signalled, PgFailure> {
    let budget = statement_timeout + grace;
    let fail = |reason| PgFailure {
        source: source.to_string(),
        reason,
    };
    match tokio::time::timeout(
        budget,
        signal_backend(conn, picked, signal, statement_timeout),
    )
    .await
    {
        Ok(Ok(s)) => Ok(s),
        Ok(Err(e)) => Err(fail(describe_signal_error(&e, source, signal))),
        Err(_) => Err(fail(format!(
            "{source} did not answer within {} ms; whether the signal was sent is unknown",
            budget.as_millis()
        ))),
    }
}

/// A failed signal in an operator's words: above all, the missing right.
fn describe_signal_error(err: &sqlx::Error, source: &str, signal: Signal) -> String {
    if let sqlx::Error::Database(db) = err {
        if db.code().as_deref() == Some("42501") {
            return format!(
                "{source} refused: the monitoring user may not signal that session ({}). Grant it pg_signal_backend (GRANT pg_signal_backend TO <monitoring user>; it still cannot signal a superuser's sessions), or run {}(pid) as that session's role",
                db.message(),
                signal.function()
            );
        }
    }
    super::describe(err, source)
}
