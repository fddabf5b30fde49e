//! PostgreSQL server-side statistics, read under PRODUCT.md's rules for
//! touching production: one connection, `application_name = 'readyroom'`,
//! a read-only transaction with a `statement_timeout`, and Readyroom's own
//! sessions excluded from what it reports.

mod tls;

use std::str::FromStr;
use std::time::Duration;

use readyroom_core::config::Environment;
use readyroom_core::evidence::inputs::POSTGRES;
use readyroom_core::evidence::{InputId, Missing, PostgresStats};
use readyroom_core::redact::redact;
use readyroom_core::Sensitive;
use sqlx::postgres::{PgConnectOptions, PgSslMode};
use sqlx::{ConnectOptions, Connection, PgConnection, Row};
use time::OffsetDateTime;

use crate::source::{BoxFuture, Findings, RunContext, SecretRef, Source};
use crate::trust::ExtraRoots;

pub use tls::{connect_options, weakness, TlsChoice};

pub const APPLICATION_NAME: &str = "readyroom";

/// PostgreSQL's own statistics, as a source.
pub struct PostgresSource;

impl Source for PostgresSource {
    fn label(&self) -> &'static str {
        "postgres"
    }

    fn provides(&self) -> &'static [InputId] {
        &[POSTGRES.id]
    }

    fn configured(&self, env: &Environment) -> bool {
        env.postgres.is_some()
    }

    fn secrets(&self, env: &Environment) -> Vec<SecretRef> {
        env.postgres
            .iter()
            .map(|pg| SecretRef {
                key: "postgres.url_secret",
                name: pg.url_secret.clone(),
            })
            .collect()
    }

    /// Connecting, then the statement, then a second to say goodbye.
    fn budget(&self, ctx: &RunContext<'_>) -> Duration {
        let statement = ctx
            .env
            .postgres
            .as_ref()
            .map_or(0, |pg| pg.statement_timeout_ms);
        ctx.timeout * 2 + Duration::from_millis(statement) + Duration::from_secs(1)
    }

    fn gather<'a>(&'a self, ctx: &'a RunContext<'a>) -> BoxFuture<'a, Findings> {
        Box::pin(async move {
            let findings = Findings::new(ctx);
            let Some(source) = &ctx.env.postgres else {
                return findings;
            };
            let statement_timeout = Duration::from_millis(source.statement_timeout_ms);
            let result = match ctx.secret(&source.url_secret) {
                Ok(url) => read_stats(url, ctx.extra_roots, ctx.timeout, statement_timeout)
                    .await
                    .map_err(|f| (f.source, f.reason)),
                Err(reason) => Err((format!("secret '{}'", source.url_secret), reason)),
            };
            let mut findings = findings;
            match result {
                Ok(stats) => {
                    let target = stats.source.clone();
                    findings.set(&POSTGRES, Ok(stats));
                    findings.seen(target, Ok(()))
                }
                Err((target, reason)) => {
                    findings.set(
                        &POSTGRES,
                        Err(Missing::Unavailable {
                            source: target.clone(),
                            reason: reason.clone(),
                            at: OffsetDateTime::now_utc(),
                        }),
                    );
                    findings.seen(target, Err(reason))
                }
            }
        })
    }
}

/// Why the statistics could not be read, in words an operator can act on.
/// Never contains the connection URL or its password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgFailure {
    /// `host:port/database`, credentials stripped.
    pub source: String,
    pub reason: String,
}

/// `host:port/database` of a connection URL, for display.
pub fn display_source(url: &Sensitive<String>) -> String {
    match PgConnectOptions::from_str(url.expose()) {
        Ok(o) => format!(
            "postgres {}:{}/{}",
            o.get_host(),
            o.get_port(),
            o.get_database().unwrap_or("")
        ),
        Err(_) => "postgres (unparseable URL)".to_string(),
    }
}

pub async fn read_stats(
    url: &Sensitive<String>,
    roots: &ExtraRoots,
    connect_timeout: Duration,
    statement_timeout: Duration,
) -> Result<PostgresStats, PgFailure> {
    let source = display_source(url);
    let fail = |reason: String| PgFailure {
        source: source.clone(),
        reason: redact(&reason, &[url.expose()]),
    };
    let (options, tls) = connect_options(url.expose(), roots)
        .ok_or_else(|| fail("the stored connection URL is not a valid postgres:// URL; store it again with `readyroom secret set`".into()))?;
    let options = options
        .application_name(APPLICATION_NAME)
        .disable_statement_logging();
    let mut conn = match tokio::time::timeout(connect_timeout, options.connect()).await {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => return Err(fail(describe_connect(&e, &source, tls))),
        Err(_) => {
            return Err(fail(format!(
                "no connection to {source} within {} ms; is the host reachable from this machine?",
                connect_timeout.as_millis()
            )))
        }
    };
    // The whole read, and the goodbye, are bounded too.
    let budget = statement_timeout + connect_timeout;
    let result = tokio::time::timeout(budget, read(&mut conn, statement_timeout)).await;
    let _ = tokio::time::timeout(Duration::from_secs(1), conn.close()).await;
    match result {
        Ok(Ok(stats)) => Ok(PostgresStats {
            source: source.clone(),
            ..stats
        }),
        Ok(Err(e)) => Err(fail(describe(&e, &source))),
        Err(_) => Err(fail(format!(
            "{source} did not answer within {} ms",
            budget.as_millis()
        ))),
    }
}

async fn read(
    conn: &mut PgConnection,
    statement_timeout: Duration,
) -> Result<PostgresStats, sqlx::Error> {
    let mut tx = conn.begin_with("BEGIN READ ONLY").await?;
    // SET LOCAL cannot take a bind parameter; the value is our own integer.
    sqlx::query(&format!(
        "SET LOCAL statement_timeout = {}",
        statement_timeout.as_millis()
    ))
    .execute(&mut *tx)
    .await?;
    let row = sqlx::query(
        "SELECT \
           (SELECT count(*) FROM pg_stat_activity \
              WHERE backend_type = 'client backend' \
                AND pid <> pg_backend_pid() \
                AND application_name IS DISTINCT FROM $1) AS clients, \
           current_setting('max_connections')::bigint AS max_connections, \
           current_setting('superuser_reserved_connections')::bigint \
             + COALESCE(NULLIF(current_setting('reserved_connections', true), ''), '0')::bigint AS reserved, \
           COALESCE((SELECT blks_hit FROM pg_stat_database WHERE datname = current_database()), 0)::bigint AS hit, \
           COALESCE((SELECT blks_read FROM pg_stat_database WHERE datname = current_database()), 0)::bigint AS read",
    )
    .bind(APPLICATION_NAME)
    .fetch_one(&mut *tx)
    .await?;
    tx.rollback().await?;
    let get =
        |name: &str| -> Result<u64, sqlx::Error> { Ok(row.try_get::<i64, _>(name)?.max(0) as u64) };
    Ok(PostgresStats {
        source: String::new(),
        at: OffsetDateTime::now_utc(),
        client_connections: get("clients")?,
        max_connections: get("max_connections")?,
        reserved_connections: get("reserved")?,
        blocks_hit: get("hit")?,
        blocks_read: get("read")?,
    })
}

/// A failed connection in an operator's words. TLS failures say what
/// Readyroom required and what the operator can set.
fn describe_connect(err: &sqlx::Error, source: &str, tls: TlsChoice) -> String {
    // sqlx reports a refused upgrade as `Tls`, and a failed handshake as
    // the `Io` error rustls returned.
    let text = match err {
        sqlx::Error::Tls(e) => e.to_string(),
        sqlx::Error::Io(io) if io.get_ref().is_some_and(|e| e.is::<rustls::Error>()) => {
            io.to_string()
        }
        _ => return describe(err, source),
    };
    let how = if tls.explicit {
        format!(
            "the stored URL asks for sslmode={}",
            tls::mode_name(tls.mode)
        )
    } else {
        "Readyroom sends a password to a remote host only over TLS with a verified certificate (sslmode=verify-full)".to_string()
    };
    if text.contains("does not support TLS") {
        format!(
            "{source} refused TLS, so no password was sent; {how}. Turn on TLS in the server (ssl = on), or, only if the network path is trusted, store the URL with an explicit weaker sslmode"
        )
    } else if matches!(tls.mode, PgSslMode::VerifyFull | PgSslMode::VerifyCa) {
        format!(
            "{source}'s TLS certificate did not verify ({text}), so no password was sent; {how}. If an internal CA signs it, set ca_file for this environment (or sslrootcert in the URL); check that the host name in the URL is one the certificate names"
        )
    } else {
        format!("TLS with {source} failed: {text}")
    }
}

/// A driver error in an operator's words, with what to do about it.
fn describe(err: &sqlx::Error, source: &str) -> String {
    if let Some(db) = err.as_database_error() {
        let code = db.code().unwrap_or_default();
        return match code.as_ref() {
            "28P01" | "28000" => format!(
                "{source} rejected the credentials (password authentication failed); update the stored URL with `readyroom secret set`"
            ),
            "3D000" => format!("{source}: the database does not exist; check the database name in the stored URL"),
            "57014" => format!("{source}: a statistics query hit statement_timeout; the server is overloaded"),
            "53300" => format!("{source} has no connection slots left (too many clients)"),
            _ => format!("{source} answered with an error: {} (SQLSTATE {code})", db.message()),
        };
    }
    match err {
        sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            format!("{source} refused the connection; is PostgreSQL running and listening there?")
        }
        sqlx::Error::Io(io) => format!("cannot reach {source}: {io}"),
        sqlx::Error::Tls(e) => format!("TLS with {source} failed: {e}"),
        sqlx::Error::PoolTimedOut => format!("no connection to {source} in time"),
        other => format!("{source}: {other}"),
    }
}
