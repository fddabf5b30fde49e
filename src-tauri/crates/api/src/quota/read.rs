//! Reading an environment's quota source now: PostgreSQL through the
//! environment's kept server connection (one connection per source, shared
//! with the pool sampler), or the usage endpoint over HTTP with its bearer
//! token. Each under its own timeout; a failure keeps the last good
//! reading and says since when the source fails.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use readyroom_core::config::{Environment, QuotaSource, QuotaSourceKind};
use readyroom_core::quota::{ListRequest, Plans, QuotaReading};
use readyroom_core::redact::redact;
use readyroom_sources::http::HttpClients;
use readyroom_sources::postgres::{self, Endpoint, PostgresSource};
use readyroom_sources::quota::http::UsageEndpoint;
use readyroom_sources::quota::postgres::{read_over, UsageFrom, DEFAULT_RELATION};
use readyroom_sources::trust::ExtraRoots;
use readyroom_sources::{SecretRef, Source};
use time::OffsetDateTime;

use super::wire::QuotaProblem;
use crate::pools::read::{on_kept, secret, secrets_for};
use crate::{Api, ApiError, ErrorCode};

/// The longest a whole HTTP read (every page) may take.
pub const HTTP_READ_BUDGET: Duration = Duration::from_secs(30);

/// What each environment's quota source last read well, and since when it
/// has been failing.
#[derive(Default)]
pub(crate) struct QuotaMemory(Mutex<HashMap<String, Remembered>>);

#[derive(Default)]
struct Remembered {
    /// The lists' tier and cap with the reading they were read for.
    good: Option<((Option<String>, u32), QuotaReading)>,
    failing_since: Option<OffsetDateTime>,
}

/// Where `quota` reads, for messages and the view (no credentials).
fn from_of(quota: &QuotaSource) -> UsageFrom {
    match (&quota.query, &quota.relation) {
        (Some(query), _) => UsageFrom::Query(query.clone()),
        (None, Some(relation)) => UsageFrom::Relation(relation.clone()),
        (None, None) => UsageFrom::Relation(DEFAULT_RELATION.into()),
    }
}

/// The keychain entries the quota source of `env` needs.
fn secret_refs(env: &Environment, quota: &QuotaSource) -> Vec<SecretRef> {
    match quota.source {
        // Read through the environment's PostgreSQL source: its secret.
        QuotaSourceKind::Postgres => PostgresSource.secrets(env),
        QuotaSourceKind::Http => quota
            .token_secret
            .iter()
            .map(|name| SecretRef {
                key: "quota.token_secret",
                name: name.clone(),
            })
            .collect(),
    }
}

/// One reading of `name`'s quota source: where it read, and the reading
/// or why not (`(source, reason)`).
pub(crate) async fn read(
    api: &Api,
    name: &str,
    env: &Environment,
    quota: &QuotaSource,
    plans: &Plans,
    request: &ListRequest,
    timeout: Duration,
) -> Result<(String, Result<QuotaReading, (String, String)>), ApiError> {
    let roots =
        ExtraRoots::of(env).map_err(|e| ApiError::new(ErrorCode::SetupFailed, e.to_string()))?;
    let secrets = secrets_for(api, secret_refs(env, quota)).await;
    match quota.source {
        QuotaSourceKind::Postgres => {
            let from = from_of(quota);
            let Some(pg) = env.postgres.as_ref() else {
                let reason = format!("source = \"postgres\" reads the usage through [environments.{name}.postgres], which is not there; add it (url_secret) or set source = \"http\"");
                return Ok(("postgres".into(), Err(("postgres".into(), reason))));
            };
            let url = match secret(&secrets, &pg.url_secret) {
                Ok(url) => url,
                Err(e) => return Ok((e.0.clone(), Err(e))),
            };
            let shown = match &from {
                UsageFrom::Relation(r) => {
                    format!("{}, relation {r}", postgres::display_source(url))
                }
                UsageFrom::Query(_) => {
                    format!("{}, custom query", postgres::display_source(url))
                }
            };
            let statement = Duration::from_millis(pg.statement_timeout_ms);
            let (plans, request) = (plans.clone(), request.clone());
            let read = on_kept(
                api,
                name,
                Endpoint::Server,
                url,
                &roots,
                timeout,
                move |conn, source| {
                    Box::pin(async move {
                        read_over(conn, &source, &from, &plans, &request, statement, timeout).await
                    })
                },
            )
            .await;
            Ok((shown, read))
        }
        QuotaSourceKind::Http => {
            let Some(url) = quota.usage_url.clone() else {
                let reason = "source = \"http\" needs usage_url, the app's usage endpoint".into();
                return Ok((
                    "usage endpoint".into(),
                    Err(("usage endpoint".into(), reason)),
                ));
            };
            let mut shown_url = url.clone();
            shown_url.set_query(None);
            let shown = shown_url.to_string();
            let token = match &quota.token_secret {
                Some(name) => match secret(&secrets, name) {
                    Ok(token) => Some(token.clone()),
                    Err(e) => return Ok((shown, Err(e))),
                },
                None => None,
            };
            let http = HttpClients::new(&roots, timeout)
                .map_err(|e| ApiError::new(ErrorCode::SetupFailed, e.to_string()))?;
            let endpoint = UsageEndpoint {
                url,
                client: http.with_credentials().clone(),
                token: token.clone(),
            };
            let rows = match tokio::time::timeout(HTTP_READ_BUDGET, endpoint.rows()).await {
                Ok(Ok(rows)) => rows,
                Ok(Err(e)) => {
                    let hidden: Vec<&str> = token.iter().map(|t| t.expose().as_str()).collect();
                    let reason = redact(&e.to_string(), &hidden);
                    return Ok((shown.clone(), Err((shown, reason))));
                }
                Err(_) => {
                    let reason = format!(
                        "the usage endpoint did not finish answering within {} s",
                        HTTP_READ_BUDGET.as_secs()
                    );
                    return Ok((shown.clone(), Err((shown, reason))));
                }
            };
            let reading = QuotaReading::of_rows(&rows, plans, request, api.now());
            Ok((shown, Ok(reading)))
        }
    }
}

/// Records `result` for `name`: a good reading is remembered for its
/// lists' tier and cap; a failure keeps the last good one and the time the
/// failures began. Returns what to show.
pub(crate) fn remember(
    api: &Api,
    name: &str,
    request: &ListRequest,
    result: Result<QuotaReading, (String, String)>,
) -> (Option<QuotaReading>, Option<QuotaProblem>) {
    let key = (request.tier.clone(), request.cap);
    let mut map = api.inner.quota.0.lock().unwrap_or_else(|p| p.into_inner());
    let memory = map.entry(name.to_string()).or_default();
    match result {
        Ok(reading) => {
            memory.failing_since = None;
            memory.good = Some((key, reading.clone()));
            (Some(reading), None)
        }
        Err((source, reason)) => {
            let since = *memory.failing_since.get_or_insert_with(|| api.now());
            let kept = memory
                .good
                .as_ref()
                .filter(|(k, _)| *k == key)
                .map(|(_, r)| r.clone());
            let since = since
                .replace_nanosecond(0)
                .unwrap_or(since)
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default();
            (
                kept,
                Some(QuotaProblem {
                    source,
                    reason,
                    since,
                }),
            )
        }
    }
}
