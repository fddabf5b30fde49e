//! PostgreSQL server-side statistics, read under PRODUCT.md's rules for
//! touching production: one connection, `application_name = 'readyroom'`,
//! a read-only transaction with a `statement_timeout`, and Readyroom's own
//! sessions excluded from what it reports. Its one write, a signal to a
//! backend, is in `signal`.

mod activity;
mod kept;
// What `Connections::with` lends a reader, for callers without sqlx.
pub use sqlx::PgConnection;
pub mod signal;
mod tls;

use std::str::FromStr;
use std::time::Duration;

use readyroom_core::config::Environment;
use readyroom_core::evidence::inputs::POSTGRES;
use readyroom_core::evidence::{InputId, Missing};
use readyroom_core::pools::ServerSample;
use readyroom_core::redact::redact;
use readyroom_core::Sensitive;
use sqlx::postgres::{PgConnectOptions, PgSslMode};
use sqlx::{ConnectOptions, Connection};
use time::OffsetDateTime;

use crate::source::{BoxFuture, Findings, RunContext, SecretRef, Source};
use crate::trust::ExtraRoots;

pub use activity::{read_server_sample, QueryText};
pub use kept::Connections;
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
                Ok(url) => read_server(
                    url,
                    ctx.extra_roots,
                    ctx.timeout,
                    statement_timeout,
                    QueryText::Hidden,
                )
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

/// What a connection is to: the server, or a pooler's admin console
/// (which refuses startup parameters it does not track, and where some
/// errors mean something of their own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Server,
    Console,
}

/// Connects under the rules for touching production: one connection,
/// named `readyroom`, statements unlogged, TLS verified for any host that
/// is not loopback, bounded by `timeout`. `source` names it in errors.
pub async fn connect(
    url: &Sensitive<String>,
    roots: &ExtraRoots,
    timeout: Duration,
    endpoint: Endpoint,
    source: &str,
) -> Result<PgConnection, PgFailure> {
    let fail = |reason: String| PgFailure {
        source: source.to_string(),
        reason: redact(&reason, &[url.expose()]),
    };
    let example = match endpoint {
        Endpoint::Server => "postgres://USER:PASSWORD@HOST:5432/DATABASE",
        Endpoint::Console => "postgres://USER:PASSWORD@HOST:6432/pgbouncer",
    };
    let (options, tls) = connect_options(url.expose(), roots).ok_or_else(|| {
        fail(format!("the stored connection URL is not a valid postgres:// URL ({example}); store it again with `readyroom secret set`"))
    })?;
    let mut options = options
        .application_name(APPLICATION_NAME)
        .disable_statement_logging();
    if endpoint == Endpoint::Console {
        // The console takes only the simple protocol and the startup
        // parameters PgBouncer tracks.
        options = options.extra_float_digits(None).statement_cache_capacity(0);
    }
    let what = match endpoint {
        Endpoint::Server => "the host",
        Endpoint::Console => "the pooler",
    };
    match tokio::time::timeout(timeout, options.connect()).await {
        Ok(Ok(c)) => Ok(c),
        Ok(Err(e)) => Err(fail(
            match endpoint {
                Endpoint::Console => crate::pgbouncer::describe_console(&e, source),
                Endpoint::Server => None,
            }
            .unwrap_or_else(|| describe_connect(&e, source, tls)),
        )),
        Err(_) => Err(fail(format!(
            "no connection to {source} within {} ms; is {what} reachable from this machine?",
            timeout.as_millis()
        ))),
    }
}

/// A read-only transaction on `conn` whose statements stop after
/// `statement_timeout`: every statement Readyroom sends a server runs in one.
pub(crate) async fn read_only(
    conn: &mut PgConnection,
    statement_timeout: Duration,
) -> Result<sqlx::Transaction<'_, sqlx::Postgres>, sqlx::Error> {
    let mut tx = conn.begin_with("BEGIN READ ONLY").await?;
    // SET LOCAL cannot take a bind parameter; the value is our own integer.
    sqlx::query(&format!(
        "SET LOCAL statement_timeout = {}",
        statement_timeout.as_millis()
    ))
    .execute(&mut *tx)
    .await?;
    Ok(tx)
}

/// One sample over `conn`, the whole read bounded (a server that stops
/// answering mid-read costs `statement_timeout + grace`).
pub async fn sample_over(
    conn: &mut PgConnection,
    source: &str,
    statement_timeout: Duration,
    grace: Duration,
    text: QueryText,
) -> Result<ServerSample, PgFailure> {
    let budget = statement_timeout + grace;
    match tokio::time::timeout(
        budget,
        read_server_sample(conn, source, statement_timeout, text),
    )
    .await
    {
        Ok(Ok(sample)) => Ok(sample),
        Ok(Err(e)) => Err(PgFailure {
            source: source.to_string(),
            reason: describe(&e, source),
        }),
        Err(_) => Err(PgFailure {
            source: source.to_string(),
            reason: format!("{source} did not answer within {} ms", budget.as_millis()),
        }),
    }
}

/// Connects, reads one sample and says goodbye (a scorecard run's read).
pub async fn read_server(
    url: &Sensitive<String>,
    roots: &ExtraRoots,
    connect_timeout: Duration,
    statement_timeout: Duration,
    text: QueryText,
) -> Result<ServerSample, PgFailure> {
    let source = display_source(url);
    let mut conn = connect(url, roots, connect_timeout, Endpoint::Server, &source).await?;
    let result = sample_over(&mut conn, &source, statement_timeout, connect_timeout, text).await;
    let _ = tokio::time::timeout(Duration::from_secs(1), conn.close()).await;
    result.map_err(|f| PgFailure {
        reason: redact(&f.reason, &[url.expose()]),
        ..f
    })
}

/// A failed connection in an operator's words. TLS failures say what
/// Readyroom required and what the operator can set.
pub(crate) fn describe_connect(err: &sqlx::Error, source: &str, tls: TlsChoice) -> String {
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
pub(crate) fn describe(err: &sqlx::Error, source: &str) -> String {
    if let Some(db) = err.as_database_error() {
        let code = db.code().unwrap_or_default();
        return match code.as_ref() {
            // PgBouncer answers a failed SCRAM exchange with 08P01.
            "08P01" if db.message().contains("authentication failed") => format!(
                "{source} rejected the credentials ({}); update the stored URL with `readyroom secret set`",
                db.message()
            ),
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
        sqlx::Error::Io(io)
            if matches!(
                io.kind(),
                std::io::ErrorKind::UnexpectedEof
                    | std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::BrokenPipe
            ) =>
        {
            format!("{source} closed the connection (restarting or shutting down?); Readyroom connects again on the next read")
        }
        sqlx::Error::Io(io) => format!("cannot reach {source}: {io}"),
        sqlx::Error::Tls(e) => format!("TLS with {source} failed: {e}"),
        sqlx::Error::PoolTimedOut => format!("no connection to {source} in time"),
        other => format!("{source}: {other}"),
    }
}
