//! "Test connection" in the environment forms (issue 14): one source run
//! once against the environment as the form has it now, saved or not
//! (the file plus the form's pending edits, validated like a save), with
//! the result and the reason. Reads only, like every source; nothing is
//! stored and the status bar is not touched.

use std::time::{Duration, Instant};

use readyroom_core::config::edit::ConfigEdit;
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
    let answer =
        |ok: bool, target: Option<String>, message: String, took: Duration| ConnectionTest {
            source: r.source.clone(),
            ok,
            target,
            message,
            elapsed_ms: u64::try_from(took.as_millis()).unwrap_or(u64::MAX),
        };
    // Not scorecard sources: the quota reading and the remote trace store.
    match r.source.as_str() {
        "quota" => {
            let Some(quota) = env.quota.as_ref() else {
                return Ok(answer(false, None, nothing_to_test(&r), Duration::ZERO));
            };
            let started = Instant::now();
            let request = ListRequest { tier: None, cap: 1 };
            let plans = config.quota.plans();
            let (shown, result) =
                quota_read(api, &r.environment, env, quota, &plans, &request, timeout).await?;
            let took = started.elapsed();
            return Ok(match result {
                Ok(reading) => answer(
                    true,
                    Some(shown.clone()),
                    format!(
                        "{shown} answered in {} ms: usage of {} tier(s)",
                        took.as_millis(),
                        reading.tiers.len()
                    ),
                    took,
                ),
                Err((_, why)) => answer(false, Some(shown), why, took),
            });
        }
        "traces" => {
            let started = Instant::now();
            let Some(remote) = remote_source(api, &config, &r.environment).await? else {
                return Ok(answer(false, None, nothing_to_test(&r), Duration::ZERO));
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
            let took = started.elapsed();
            let target = Some(remote.url().to_string());
            return Ok(match result {
                Ok(lines) => answer(
                    true,
                    target,
                    format!(
                        "{} answered in {} ms ({} in the last hour)",
                        remote.engine().name(),
                        took.as_millis(),
                        if lines.is_empty() {
                            "no traces"
                        } else {
                            "traces found"
                        }
                    ),
                    took,
                ),
                Err(e) => answer(false, target, e.to_string(), took),
            });
        }
        _ => {}
    }
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
        return Ok(answer(false, None, nothing_to_test(&r), Duration::ZERO));
    }
    let secrets = resolve_secrets(api, registry.secrets(env)).await;
    let started = Instant::now();
    let gathering = registry
        .gather(&r.environment, env, &secrets, timeout, api.now(), &|_| {})
        .await
        .map_err(|e| ApiError::new(ErrorCode::SetupFailed, e.to_string()))?;
    let took = started.elapsed();
    let sighting = gathering
        .sightings
        .into_iter()
        .find(|(label, _)| *label == r.source)
        .map(|(_, s)| s);
    Ok(match sighting {
        Some(s) => match s.result {
            Ok(()) => answer(
                true,
                Some(s.target.clone()),
                format!("{} answered in {} ms", s.target, took.as_millis()),
                took,
            ),
            Err(why) => answer(false, Some(s.target), why, took),
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
                Some(why) => answer(false, None, why, took),
                None => answer(
                    true,
                    None,
                    format!("{} read in {} ms", r.source, took.as_millis()),
                    took,
                ),
            }
        }
    })
}
