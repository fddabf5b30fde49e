//! Reading an environment's pool sources now: all three at once, each
//! under its own timeout, so one that is down or hangs never holds up or
//! blanks the others. What each last read well is remembered per
//! environment, so a panel whose source died keeps its last good sample
//! and says since when it is unreachable, and successive readings give
//! rates from the counters.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use readyroom_core::config::Environment;
use readyroom_core::pools::series::PoolSeries;
use readyroom_core::pools::{
    blocking_tree, pooler_rates, saturation, server_rates, AppPoolSample, NoRate, PoolerSample,
    ServerSample,
};
use readyroom_core::redact::redact;
use readyroom_core::Sensitive;
use readyroom_sources::app_pool::{app_pool_target, read_app_pool};
use readyroom_sources::http::HttpClients;
use readyroom_sources::pgbouncer::{self, PgBouncerSource};
use readyroom_sources::postgres::{
    self, Endpoint, PgConnection, PgFailure, PostgresSource, QueryText,
};
use readyroom_sources::trust::ExtraRoots;
use readyroom_sources::{BoxFuture, ResolvedSecrets, SecretRef, Source};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::wire::{
    ActionAvailability, AppPoolPanel, PoolerPanel, PoolsView, ServerPanel, SourceProblem,
};
use crate::scorecard::run::resolve_secrets;
use crate::{Api, ApiError, ErrorCode};

/// Characters of query text read when asked for.
pub const QUERY_TEXT_CHARS: u32 = 500;

/// The longest two readings may be apart for rates between them when no
/// failure was seen in between: counters keep everything, so a longer
/// interval only averages more.
const LIVE_MAX_GAP: time::Duration = time::Duration::hours(1);

/// One source's history in this process.
struct Track<T> {
    last: Option<T>,
    /// The sample before `last`, for rates.
    before: Option<T>,
    /// A failure since `last` was read: rates across it would hide it.
    failed_since_last: bool,
    /// `last` came after a failure: no rates between it and the sample
    /// before.
    after_gap: bool,
    problem: Option<SourceProblem>,
}

impl<T> Default for Track<T> {
    fn default() -> Self {
        Track {
            last: None,
            before: None,
            failed_since_last: false,
            after_gap: false,
            problem: None,
        }
    }
}

impl<T: Clone> Track<T> {
    fn record(&mut self, result: Result<T, (String, String)>, at: OffsetDateTime) {
        match result {
            Ok(sample) => {
                self.after_gap = self.failed_since_last && self.last.is_some();
                self.before = if self.after_gap {
                    None
                } else {
                    self.last.take()
                };
                self.last = Some(sample);
                self.failed_since_last = false;
                self.problem = None;
            }
            Err((source, reason)) => {
                self.failed_since_last = true;
                let since = self
                    .problem
                    .as_ref()
                    .map(|p| p.since.clone())
                    .unwrap_or_else(|| rfc3339(at));
                self.problem = Some(SourceProblem {
                    source,
                    reason,
                    since,
                });
            }
        }
    }
}

#[derive(Default)]
struct EnvMemory {
    server: Track<ServerSample>,
    pooler: Track<PoolerSample>,
    app: Track<AppPoolSample>,
    /// When the last round was read.
    last_round: Option<OffsetDateTime>,
}

/// What each environment's sources last read, shared by every reader.
#[derive(Default)]
pub(crate) struct PoolMemory {
    environments: Mutex<HashMap<String, EnvMemory>>,
    secrets: SecretCache,
}

/// How long a secret looked up for sampling is used before it is looked
/// up again: the sampler reads every second while a view is open, and
/// the keychain is a D-Bus round trip (and, locked, a prompt) away. A
/// replaced secret is picked up within this; a missing one is looked up
/// every time, so setting it takes effect on the next sample.
const SECRET_TTL: std::time::Duration = std::time::Duration::from_secs(30);

#[derive(Default)]
struct SecretCache(Mutex<HashMap<String, (std::time::Instant, Sensitive<String>)>>);

/// The secrets `refs` name: from the cache while fresh, else the keychain.
pub(crate) async fn secrets_for(api: &Api, refs: Vec<SecretRef>) -> ResolvedSecrets {
    let cache = &api.inner.pools.secrets;
    let mut found = ResolvedSecrets::new();
    let mut wanted = Vec::new();
    {
        let map = cache.0.lock().unwrap_or_else(|p| p.into_inner());
        for r in refs {
            match map.get(&r.name) {
                Some((at, value)) if at.elapsed() < SECRET_TTL => {
                    found.insert(r.name.clone(), Ok(value.clone()));
                }
                _ => wanted.push(r),
            }
        }
    }
    if wanted.is_empty() {
        return found;
    }
    let looked_up = resolve_secrets(api, wanted).await;
    let mut map = cache.0.lock().unwrap_or_else(|p| p.into_inner());
    for (name, value) in looked_up {
        if let Ok(v) = &value {
            map.insert(name.clone(), (std::time::Instant::now(), v.clone()));
        } else {
            map.remove(&name);
        }
        found.insert(name, value);
    }
    found
}

/// To the second: enough for "unreachable since", and easy to read.
fn rfc3339(at: OffsetDateTime) -> String {
    at.replace_nanosecond(0)
        .unwrap_or(at)
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// The keychain entries the pool sources of `env` need, as the sources
/// themselves declare them.
fn secret_refs(env: &Environment) -> Vec<SecretRef> {
    let sources: [&dyn Source; 2] = [&PostgresSource, &PgBouncerSource];
    sources.iter().flat_map(|s| s.secrets(env)).collect()
}

pub(crate) fn secret<'s>(
    secrets: &'s ResolvedSecrets,
    name: &str,
) -> Result<&'s Sensitive<String>, (String, String)> {
    match secrets.get(name) {
        Some(Ok(v)) => Ok(v),
        Some(Err(reason)) => Err((format!("secret '{name}'"), reason.clone())),
        None => Err((
            format!("secret '{name}'"),
            "the secret was not looked up".into(),
        )),
    }
}

/// Runs `read` on `name`'s kept connection to `endpoint` (connecting first
/// when there is none), passing it the source's name for messages. A
/// failure is `(source, reason)`, the URL redacted from the reason.
pub(crate) async fn on_kept<T>(
    api: &Api,
    name: &str,
    endpoint: Endpoint,
    url: &Sensitive<String>,
    roots: &ExtraRoots,
    timeout: Duration,
    read: impl for<'c> FnOnce(&'c mut PgConnection, String) -> BoxFuture<'c, Result<T, PgFailure>>,
) -> Result<T, (String, String)> {
    let (kind, source) = match endpoint {
        Endpoint::Server => ("postgres", postgres::display_source(url)),
        Endpoint::Console => ("pgbouncer", pgbouncer::display_source(url)),
    };
    let read_source = source.clone();
    api.inner
        .pool_connections
        .with(
            name,
            kind,
            url,
            || postgres::connect(url, roots, timeout, endpoint, &source),
            move |conn| read(conn, read_source),
        )
        .await
        .map_err(|f| (f.source, redact(&f.reason, &[url.expose()])))
}

/// One round of reading an environment's pool sources: each configured
/// source's sample, or who failed and why (`None`: not configured).
pub(crate) struct Round {
    pub at: OffsetDateTime,
    pub server: Option<Result<ServerSample, (String, String)>>,
    pub pooler: Option<Result<PoolerSample, (String, String)>>,
    pub app: Option<Result<AppPoolSample, (String, String)>>,
}

/// Reads every configured pool source of `name` now, each under its own
/// timeout, the databases over their kept connections.
pub(crate) async fn sample_env(
    api: &Api,
    name: &str,
    env: &Environment,
    timeout: Duration,
    text: QueryText,
) -> Result<Round, ApiError> {
    let roots =
        ExtraRoots::of(env).map_err(|e| ApiError::new(ErrorCode::SetupFailed, e.to_string()))?;
    let http = HttpClients::new(&roots, timeout)
        .map_err(|e| ApiError::new(ErrorCode::SetupFailed, e.to_string()))?;
    let secrets = secrets_for(api, secret_refs(env)).await;

    let server = async {
        let pg = env.postgres.as_ref()?;
        let statement = Duration::from_millis(pg.statement_timeout_ms);
        let text = if pg.store_query_text {
            QueryText::Shown {
                max_chars: QUERY_TEXT_CHARS,
            }
        } else {
            text
        };
        let url = match secret(&secrets, &pg.url_secret) {
            Ok(url) => url,
            Err(e) => return Some(Err(e)),
        };
        Some(
            on_kept(
                api,
                name,
                Endpoint::Server,
                url,
                &roots,
                timeout,
                move |conn, source| {
                    Box::pin(async move {
                        postgres::sample_over(conn, &source, statement, timeout, text).await
                    })
                },
            )
            .await,
        )
    };
    let pooler = async {
        let pgb = env.pgbouncer.as_ref()?;
        let url = match secret(&secrets, &pgb.url_secret) {
            Ok(url) => url,
            Err(e) => return Some(Err(e)),
        };
        Some(
            on_kept(
                api,
                name,
                Endpoint::Console,
                url,
                &roots,
                timeout,
                move |conn, source| {
                    Box::pin(async move { pgbouncer::sample_over(conn, &source, timeout).await })
                },
            )
            .await,
        )
    };
    let app = async {
        let (url, names) = app_pool_target(env)?;
        Some(
            read_app_pool(&http, &url, names.as_ref(), timeout)
                .await
                .map_err(|reason| (url, reason)),
        )
    };
    let (server, pooler, app) = tokio::join!(server, pooler, app);
    Ok(Round {
        at: api.now(),
        server,
        pooler,
        app,
    })
}

/// Keeps what a round read, for the views that follow.
pub(crate) fn remember(api: &Api, name: &str, round: &Round) {
    let mut memory = memory(api);
    let mem = memory.entry(name.to_string()).or_default();
    if let Some(r) = &round.server {
        mem.server.record(r.clone(), round.at);
    }
    if let Some(r) = &round.pooler {
        mem.pooler.record(r.clone(), round.at);
    }
    if let Some(r) = &round.app {
        mem.app.record(r.clone(), round.at);
    }
    mem.last_round = Some(round.at);
}

/// What the API remembers of each environment's pool sources.
fn memory(api: &Api) -> std::sync::MutexGuard<'_, HashMap<String, EnvMemory>> {
    api.inner
        .pools
        .environments
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

/// The view of what was last read for `name`, if it was read since
/// `fresh_after`.
pub(crate) fn remembered(
    api: &Api,
    name: &str,
    env: &Environment,
    fresh_after: OffsetDateTime,
) -> Option<PoolsView> {
    let memory = memory(api);
    let mem = memory.get(name)?;
    let at = mem.last_round.filter(|at| *at >= fresh_after)?;
    Some(view(name, env, mem, at))
}

/// Reads every configured pool source of `name` now and returns the view,
/// remembering what was read.
pub(crate) async fn read_now(
    api: &Api,
    name: &str,
    env: &Environment,
    timeout: Duration,
    text: QueryText,
) -> Result<PoolsView, ApiError> {
    let round = sample_env(api, name, env, timeout, text).await?;
    remember(api, name, &round);
    remembered(api, name, env, round.at)
        .ok_or_else(|| ApiError::new(ErrorCode::Internal, "the reading was not kept"))
}

fn view(name: &str, env: &Environment, mem: &EnvMemory, at: OffsetDateTime) -> PoolsView {
    let server_rates = match (&mem.server.before, &mem.server.last) {
        (Some(b), Some(l)) => server_rates(b, l, LIVE_MAX_GAP).ok(),
        _ => None,
    };
    let (rates, no_rates) = match (&mem.pooler.before, &mem.pooler.last) {
        (Some(b), Some(l)) => match pooler_rates(b, l, LIVE_MAX_GAP) {
            Ok(r) => (Some(r), None),
            Err(e) => (None, Some(e)),
        },
        (None, Some(_)) if mem.pooler.after_gap => (None, Some(NoRate::Gap)),
        _ => (None, None),
    };
    let saturation = saturation::saturation(
        mem.server.last.as_ref(),
        mem.pooler.last.as_ref(),
        rates.as_ref(),
        mem.app.last.as_ref(),
    );
    PoolsView {
        environment: name.to_string(),
        at: rfc3339(at),
        saturation,
        server: ServerPanel {
            configured: env.postgres.is_some(),
            blocking: mem
                .server
                .last
                .as_ref()
                .map(|s| blocking_tree(&s.backends))
                .unwrap_or_default(),
            sample: mem.server.last.clone(),
            rates: server_rates,
            problem: mem.server.problem.clone(),
            // The caller knows the transport: see `pools::current`.
            cancel: ActionAvailability::default(),
        },
        pooler: PoolerPanel {
            configured: env.pgbouncer.is_some(),
            sample: mem.pooler.last.clone(),
            rates,
            no_rates,
            problem: mem.pooler.problem.clone(),
        },
        app: AppPoolPanel {
            configured: app_pool_target(env).is_some(),
            sample: mem.app.last.clone(),
            problem: mem.app.problem.clone(),
        },
        series: PoolSeries::default(),
        minutes: 0,
        skipped: 0,
    }
}
