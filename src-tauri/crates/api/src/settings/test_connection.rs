//! "Test connection" in the environment forms (issue 14): one source run
//! once against the environment as the form has it now, saved or not
//! (the file plus the form's pending edits, validated like a save), with
//! the result and the reason. Reads only, like every source; nothing is
//! stored and the status bar is not touched.

use std::time::{Duration, Instant};

use readyroom_core::config::edit::ConfigEdit;
use readyroom_core::config::{Config, Environment};
use readyroom_core::evidence::Missing;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::edit::{checked, config_path, read};
use crate::quota::read::read as quota_read;
use crate::scorecard::resolve_secrets;
use crate::traces::remote::source as remote_source;
use crate::{Api, ApiError, ErrorCode};
use readyroom_core::quota::ListRequest;
use readyroom_core::traces::{unix_nanos, TraceFilter};
use readyroom_sources::trace_query::Search;

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TestConnectionRequest {
    pub environment: String,
    /// A source's label: `health`, `tls`, `metrics`, `postgres`,
    /// `pgbouncer`, `app pool`, `deploys`; or `quota` (the usage source)
    /// or `traces` (the environment's Tempo or Jaeger).
    pub source: String,
    /// The form's unsaved changes, applied to the file first.
    #[serde(default)]
    pub edits: Vec<ConfigEdit>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionTest {
    pub source: String,
    pub ok: bool,
    /// What it reached (a URL, `host:port`), where it says.
    #[ts(optional)]
    pub target: Option<String>,
    /// The result in words: what answered, or why not and what to do.
    pub message: String,
    pub elapsed_ms: u64,
}

fn nothing_to_test(r: &TestConnectionRequest) -> String {
    format!(
        "nothing to test: {} is not set up in {} yet; fill in its fields first",
        r.source, r.environment
    )
}

pub(crate) async fn test_connection(
    api: &Api,
    r: TestConnectionRequest,
) -> Result<ConnectionTest, ApiError> {
    let path = config_path(api)?;
    let before = read(&path)?;
    let (_, config) = checked(&path, before.as_deref(), &r.edits)?;
    // A form with problems is not tested: what to fix comes first.
    let config = match config {
        Ok(config) => config,
        Err(problems) => {
            let list: Vec<String> = problems
                .iter()
                .map(|p| format!("{}: {}", p.path, p.message))
                .collect();
            return Ok(ConnectionTest {
                source: r.source.clone(),
                ok: false,
                target: None,
                message: format!(
                    "not tested: fix the form's {} problem(s) first: {}",
                    problems.len(),
                    list.join("; ")
                ),
                elapsed_ms: 0,
            });
        }
    };
    let env = config.environments.get(&r.environment).ok_or_else(|| {
        ApiError::new(
            ErrorCode::UnknownEnvironment,
            format!("no environment named {}", r.environment),
        )
    })?;
    let timeout = Duration::from_millis(env.probe_timeout_ms(&config.settings));
    let started = Instant::now();
    let tested = match r.source.as_str() {
        // Not scorecard sources: the quota reading and the remote trace store.
        "quota" => quota(api, &r, &config, env, timeout).await?,
        "traces" => traces(api, &r, &config).await?,
        _ => scorecard_source(api, &r, env, timeout).await?,
    };
    Ok(ConnectionTest {
        source: r.source.clone(),
        ok: tested.ok,
        target: tested.target,
        message: tested.message,
        elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    })
}

/// One source's result: whether it answered, where, and in words.
struct Tested {
    ok: bool,
    target: Option<String>,
    message: String,
}

impl Tested {
    fn nothing(r: &TestConnectionRequest) -> Tested {
        Tested {
            ok: false,
            target: None,
            message: nothing_to_test(r),
        }
    }
}

/// One reading of the quota source (one workspace a list).
async fn quota(
    api: &Api,
    r: &TestConnectionRequest,
    config: &Config,
    env: &Environment,
    timeout: Duration,
) -> Result<Tested, ApiError> {
    let Some(source) = env.quota.as_ref() else {
        return Ok(Tested::nothing(r));
    };
    let started = Instant::now();
    let request = ListRequest { tier: None, cap: 1 };
    let plans = config.quota.plans();
    let (shown, result) =
        quota_read(api, &r.environment, env, source, &plans, &request, timeout).await?;
    Ok(match result {
        Ok(reading) => Tested {
            ok: true,
            message: format!(
                "{shown} answered in {} ms: usage of {} tier(s)",
                started.elapsed().as_millis(),
                reading.tiers.len()
            ),
            target: Some(shown),
        },
        Err((_, why)) => Tested {
            ok: false,
            target: Some(shown),
            message: why,
        },
    })
}

/// One search of the environment's Tempo or Jaeger over the last hour.
async fn traces(api: &Api, r: &TestConnectionRequest, config: &Config) -> Result<Tested, ApiError> {
    let started = Instant::now();
    let Some(remote) = remote_source(api, config, &r.environment).await? else {
        return Ok(Tested::nothing(r));
    };
    let to_ns = unix_nanos(api.now());
    let search = Search {
        from_ns: to_ns.saturating_sub(3_600_000_000_000),
        to_ns,
        filter: TraceFilter {
            limit: 1,
            ..TraceFilter::default()
        },
    };
    let result = remote.search(&search).await;
    let target = Some(remote.url().to_string());
    Ok(match result {
        Ok(lines) => Tested {
            ok: true,
            target,
            message: format!(
                "{} answered in {} ms ({} in the last hour)",
                remote.engine().name(),
                started.elapsed().as_millis(),
                if lines.is_empty() {
                    "no traces"
                } else {
                    "traces found"
                }
            ),
        },
        Err(e) => Tested {
            ok: false,
            target,
            message: e.to_string(),
        },
    })
}

/// One of the scorecard's sources run once, as a scorecard run would.
async fn scorecard_source(
    api: &Api,
    r: &TestConnectionRequest,
    env: &Environment,
    timeout: Duration,
) -> Result<Tested, ApiError> {
    let store = api.store().await?;
    let all = (api.host().sources)(store);
    let registry = all.only(&r.source);
    if registry.labels().is_empty() {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            format!(
                "no source named {:?}; one of: {}, quota, traces",
                r.source,
                all.labels().join(", ")
            ),
        ));
    }
    if registry.planned(env).is_empty() {
        return Ok(Tested::nothing(r));
    }
    let secrets = resolve_secrets(api, registry.secrets(env)).await;
    let started = Instant::now();
    let gathering = registry
        .gather(&r.environment, env, &secrets, timeout, api.now(), &|_| {})
        .await
        .map_err(|e| ApiError::new(ErrorCode::SetupFailed, e.to_string()))?;
    let took = started.elapsed().as_millis();
    let sighting = gathering
        .sightings
        .into_iter()
        .find(|(label, _)| *label == r.source)
        .map(|(_, s)| s);
    Ok(match sighting {
        Some(s) => match s.result {
            Ok(()) => Tested {
                ok: true,
                message: format!("{} answered in {took} ms", s.target),
                target: Some(s.target),
            },
            Err(why) => Tested {
                ok: false,
                target: Some(s.target),
                message: why,
            },
        },
        // A source that says nothing of reachability: what it could not
        // read is in the evidence's missing inputs.
        None => {
            let why = registry.provided().into_iter().find_map(|input| {
                match gathering.evidence.missing(input) {
                    Some(Missing::Unavailable { reason, .. }) => Some(reason),
                    _ => None,
                }
            });
            match why {
                Some(why) => Tested {
                    ok: false,
                    target: None,
                    message: why,
                },
                None => Tested {
                    ok: true,
                    target: None,
                    message: format!("{} read in {took} ms", r.source),
                },
            }
        }
    })
}
