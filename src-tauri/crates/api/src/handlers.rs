//! One handler per command.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use readyroom_charts::{score_trend_svg, Theme};
use readyroom_core::config::Config;
use readyroom_core::diff::ScorecardDiff;
use readyroom_core::Sensitive;
use readyroom_secrets::{Origin, SecretStore};
use serde::Serialize;
use serde_json::Value;

use crate::commands::*;
use crate::{context, scoring, Api, ApiError, ErrorCode, Event};

/// Runs listed in the trend chart, newest last.
const TREND_POINTS: u32 = 200;

pub(crate) async fn dispatch(api: &Api, command: Command) -> Result<Value, ApiError> {
    match command {
        Command::GetAppInfo(_) => json(app_info(api)),
        Command::GetScorecard(r) => json(get_scorecard(api, &r.environment).await?),
        Command::RunScorecard(r) => json(run_scorecard(api, &r.environment).await?),
        Command::ListHistory(r) => json(list_history(api, r).await?),
        Command::GetTrendChart(r) => json(trend_chart(api, r).await?),
        Command::ListSecrets(r) => json(list_secrets(api, r.environment.as_deref()).await?),
        Command::SetSecret(r) => json(set_secret(r).await?),
        Command::GetSourceStatus(r) => json(SourcesView {
            sources: api.inner.status.get(&r.environment),
        }),
    }
}

fn json<T: Serialize>(value: T) -> Result<Value, ApiError> {
    serde_json::to_value(value).map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))
}

fn store_err(e: readyroom_store::Error) -> ApiError {
    ApiError::new(ErrorCode::StoreFailed, e.to_string())
}

fn config(api: &Api) -> Result<Config, ApiError> {
    Ok(context::load_config(api.inner.settings.config_path.as_deref())?.config)
}

fn known_environment(config: &Config, name: &str) -> Result<(), ApiError> {
    config
        .environment(Some(name))
        .map(|_| ())
        .map_err(|msg| ApiError::new(ErrorCode::UnknownEnvironment, msg))
}

fn app_info(api: &Api) -> AppInfo {
    let path = api.inner.settings.config_path.as_deref();
    let mut info = AppInfo {
        version: env!("CARGO_PKG_VERSION").to_string(),
        config_path: path.map(|p| p.display().to_string()),
        config_valid: false,
        config_error: None,
        problems: Vec::new(),
        environments: Vec::new(),
        default_environment: None,
    };
    let (path, text) = match context::read_config_text(path) {
        Ok(found) => found,
        Err(e) => {
            info.config_error = Some(e.message);
            return info;
        }
    };
    let base = path
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    match Config::parse(&text, &base) {
        Err(problems) => {
            info.config_error = Some(format!("the config file has {} problem(s)", problems.len()));
            info.problems = problems;
        }
        Ok(parsed) => {
            let config = parsed.config;
            info.config_valid = true;
            info.default_environment = config
                .default_environment
                .clone()
                .or_else(|| config.environments.keys().next().cloned());
            info.environments = config
                .environments
                .iter()
                .map(|(name, env)| EnvironmentInfo {
                    name: name.clone(),
                    base_url: env.base_url.as_ref().map(|u| u.to_string()),
                    secrets: env
                        .secret_refs()
                        .into_iter()
                        .map(|(_, s)| s.to_string())
                        .collect(),
                })
                .collect();
        }
    }
    info
}

async fn get_scorecard(api: &Api, environment: &str) -> Result<ScorecardView, ApiError> {
    known_environment(&config(api)?, environment)?;
    let recent = api
        .store()
        .await?
        .recent(environment, 2)
        .await
        .map_err(store_err)?;
    let diff = match recent.as_slice() {
        [latest, previous] => Some(ScorecardDiff::between(previous, latest)),
        _ => None,
    };
    Ok(ScorecardView {
        scorecard: recent.into_iter().next(),
        diff,
    })
}

async fn run_scorecard(api: &Api, environment: &str) -> Result<ScorecardView, ApiError> {
    let result = run_scorecard_inner(api, environment).await;
    if let Err(e) = &result {
        api.inner.events.emit(Event::ScorecardFailed {
            environment: environment.to_string(),
            message: e.message.clone(),
        });
    }
    result
}

async fn run_scorecard_inner(api: &Api, environment: &str) -> Result<ScorecardView, ApiError> {
    let _one_at_a_time = api.inner.running.lock().await;
    let config = config(api)?;
    let (name, env) = config
        .environment(Some(environment))
        .map_err(|msg| ApiError::new(ErrorCode::UnknownEnvironment, msg))?;
    let rubric = context::load_rubric(&config)?;
    let store = api.store().await?;
    let planned = scoring::registry(store).planned(env).len() as u32;
    let events = &api.inner.events;
    events.emit(Event::ScorecardStarted {
        environment: name.to_string(),
        probes: planned,
    });
    let done = AtomicU32::new(0);
    let on_probe = |probe: &str| {
        let done = done.fetch_add(1, Ordering::SeqCst) + 1;
        events.emit(Event::ProbeFinished {
            environment: name.to_string(),
            probe: probe.to_string(),
            done,
            probes: planned,
        });
    };
    let timeout = Duration::from_millis(env.probe_timeout_ms(&config.settings));
    let run = scoring::score_environment(name, env, &rubric, store, timeout, &on_probe).await?;
    let previous = store.latest(name).await.map_err(store_err)?;
    store
        .save_run(&run.scorecard, run.health_sample.as_ref())
        .await
        .map_err(store_err)?;
    api.inner
        .status
        .record(name, run.evidence.gathered_at, &run.sightings);
    events.emit(Event::ScorecardFinished {
        environment: name.to_string(),
        score: run.scorecard.score,
        grade: run.scorecard.grade.to_string(),
    });
    let diff = previous.map(|p| ScorecardDiff::between(&p, &run.scorecard));
    Ok(ScorecardView {
        scorecard: Some(run.scorecard),
        diff,
    })
}

async fn list_history(api: &Api, r: HistoryRequest) -> Result<HistoryView, ApiError> {
    if let Some(env) = &r.environment {
        known_environment(&config(api)?, env)?;
    }
    let limit = r.limit.unwrap_or(50).min(1_000);
    let runs = api
        .store()
        .await?
        .history(r.environment.as_deref(), limit)
        .await
        .map_err(store_err)?;
    Ok(HistoryView { runs })
}

async fn trend_chart(api: &Api, r: TrendChartRequest) -> Result<Chart, ApiError> {
    known_environment(&config(api)?, &r.environment)?;
    let mut runs = api
        .store()
        .await?
        .history(Some(&r.environment), TREND_POINTS)
        .await
        .map_err(store_err)?;
    runs.reverse();
    let points: Vec<_> = runs
        .iter()
        .map(|run| (run.measured_at, run.score))
        .collect();
    let theme = match r.theme {
        ChartTheme::Light => Theme::Light,
        ChartTheme::Dark => Theme::Dark,
    };
    let svg = score_trend_svg(&points, theme, 720, 220)
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
    Ok(Chart {
        svg,
        points: points.len() as u32,
    })
}

/// The secrets the config references, with whether each resolves; never values.
pub async fn secret_rows(config: &Config, only: Option<&str>) -> Vec<SecretStatusRow> {
    let wanted: Vec<(String, String, String)> = config
        .environments
        .iter()
        .filter(|(name, _)| only.is_none_or(|o| o == name.as_str()))
        .flat_map(|(env_name, env)| {
            env.secret_refs()
                .into_iter()
                .map(|(key, name)| (env_name.clone(), key.to_string(), name.to_string()))
                .collect::<Vec<_>>()
        })
        .collect();
    tokio::task::spawn_blocking(move || {
        let store = SecretStore::new();
        wanted
            .into_iter()
            .map(|(environment, key, name)| {
                let status = store.status(&name);
                SecretStatusRow {
                    env_var: readyroom_secrets::env_var_name(&name),
                    name,
                    environment,
                    key,
                    set: status.origin.is_some(),
                    from: status.origin.map(|o| match o {
                        Origin::Keychain => "keychain".to_string(),
                        Origin::Environment => "environment".to_string(),
                    }),
                    problem: status.problem,
                }
            })
            .collect()
    })
    .await
    .unwrap_or_default()
}

async fn list_secrets(api: &Api, environment: Option<&str>) -> Result<SecretsView, ApiError> {
    let config = config(api)?;
    if let Some(env) = environment {
        known_environment(&config, env)?;
    }
    Ok(SecretsView {
        secrets: secret_rows(&config, environment).await,
    })
}

async fn set_secret(r: SetSecretRequest) -> Result<SecretSet, ApiError> {
    readyroom_core::config::check_secret_name(&r.name)
        .map_err(|m| ApiError::new(ErrorCode::InvalidRequest, m))?;
    if r.value.is_empty() {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            format!(
                "the value for secret '{}' is empty; nothing was stored",
                r.name
            ),
        ));
    }
    let name = r.name.clone();
    let value = Sensitive::new(r.value);
    tokio::task::spawn_blocking(move || SecretStore::new().set(&name, value))
        .await
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?
        .map_err(|e| match e {
            readyroom_secrets::Error::InvalidName(m) | readyroom_secrets::Error::EmptyValue(m) => {
                ApiError::new(ErrorCode::InvalidRequest, m)
            }
            other => ApiError::new(ErrorCode::SecretsUnavailable, other.to_string()),
        })?;
    Ok(SecretSet {
        name: r.name,
        set: true,
    })
}
