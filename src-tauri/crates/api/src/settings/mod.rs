//! The settings area: the config file, every problem in it and in the
//! files it names, and its environments. `readyroom config check` and the
//! Settings view read the same report.

pub mod edit;
pub mod form;
pub mod test_connection;

use readyroom_core::config::ParsedConfig;
use readyroom_core::rubric::Rubric;
use readyroom_core::source_text::Problem;
use readyroom_sources::trust::ExtraRoots;
use serde::Serialize;
use ts_rs::TS;

use crate::commands::Empty;
use crate::demo::DemoInfo;
use crate::secrets::keychain;
use crate::{context, Api, ApiError};

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub version: String,
    pub config_path: Option<String>,
    /// Whether the config file exists (the app's first run: it does not).
    pub config_exists: bool,
    /// True when the config parses and validates, so commands can use it.
    /// Problems in the files it names (a `ca_file`, the rubric) are listed
    /// in `problems` without making the whole config unusable.
    pub config_valid: bool,
    /// Why the config cannot be used, when it cannot.
    pub config_error: Option<String>,
    /// Every problem, in the config and in the files it names, with its
    /// key path and line: what `readyroom config check` reports.
    pub problems: Vec<Problem>,
    /// Settings that work but put production at risk, e.g. a stored
    /// PostgreSQL URL that does not verify a remote server. They do not
    /// make the config invalid.
    pub warnings: Vec<Problem>,
    pub environments: Vec<EnvironmentInfo>,
    pub default_environment: Option<String>,
    /// The demo production running inside the app, whose config is the
    /// one in use while it runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub demo: Option<DemoInfo>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentInfo {
    pub name: String,
    pub base_url: Option<String>,
    /// Keychain entries this environment references.
    pub secrets: Vec<String>,
}

pub(crate) async fn get_app_info(api: &Api, _: Empty) -> Result<AppInfo, ApiError> {
    let path = api.config_path();
    let path = path.as_deref();
    let mut info = AppInfo {
        version: env!("CARGO_PKG_VERSION").to_string(),
        config_path: path.map(|p| p.display().to_string()),
        config_exists: path.is_some_and(|p| p.exists()),
        config_valid: false,
        config_error: None,
        problems: Vec::new(),
        warnings: Vec::new(),
        environments: Vec::new(),
        default_environment: None,
        demo: api.inner.demo.info(),
    };
    let parsed = match context::parse_config(path) {
        Ok(Ok(parsed)) => parsed,
        Ok(Err(problems)) => {
            info.config_error = Some(format!("the config file has {} problem(s)", problems.len()));
            info.problems = problems;
            return Ok(info);
        }
        Err(e) => {
            info.config_error = Some(e.message);
            return Ok(info);
        }
    };
    info.problems = problems_in_named_files(&parsed);
    info.config_valid = true;
    info.warnings = weak_database_tls(api, &parsed).await;
    let config = parsed.config;
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
    Ok(info)
}

/// A warning for each stored PostgreSQL URL (the database, the pooler)
/// whose `sslmode` lets a remote server go unverified. The URLs live in the
/// keychain, so this reads them; a keychain that cannot be read is
/// reported by the Secrets view, not here.
async fn weak_database_tls(api: &Api, parsed: &ParsedConfig) -> Vec<Problem> {
    let refs: Vec<(String, String)> = parsed
        .config
        .environments
        .iter()
        .flat_map(|(env, e)| {
            let pg = e
                .postgres
                .as_ref()
                .map(|p| ("postgres", p.url_secret.clone()));
            let pgb = e
                .pgbouncer
                .as_ref()
                .map(|p| ("pgbouncer", p.url_secret.clone()));
            pg.into_iter()
                .chain(pgb)
                .map(|(table, secret)| (format!("environments.{env}.{table}.url_secret"), secret))
                .collect::<Vec<_>>()
        })
        .collect();
    if refs.is_empty() {
        return Vec::new();
    }
    let found = keychain::call(
        api.host().secrets.clone(),
        api.host().keychain_timeout,
        move |store| {
            refs.into_iter()
                .filter_map(|(key, secret)| {
                    let (url, _) = store.get(&secret).ok()??;
                    let warning = readyroom_sources::postgres::weakness(url.expose())?;
                    Some((key, format!("secret '{secret}': {warning}")))
                })
                .collect::<Vec<_>>()
        },
    )
    .await
    .unwrap_or_default();
    found
        .into_iter()
        .map(|(key, message)| Problem {
            line: parsed.lines.line_of(&key),
            path: key,
            message,
        })
        .collect()
}

/// Problems in the files a valid config names: each environment's
/// `ca_file` and the rubric.
fn problems_in_named_files(parsed: &ParsedConfig) -> Vec<Problem> {
    let config = &parsed.config;
    let mut problems = Vec::new();
    for (name, env) in &config.environments {
        if let Some(ca) = &env.ca_file {
            if let Err(e) = ExtraRoots::load(ca) {
                let key = format!("environments.{name}.ca_file");
                problems.push(Problem {
                    line: parsed.lines.line_of(&key),
                    path: key,
                    message: e.to_string(),
                });
            }
        }
    }
    if let Some(rubric) = &config.settings.rubric {
        let message = match std::fs::read_to_string(rubric) {
            Err(e) => Some(format!("cannot read rubric file {}: {e}", rubric.display())),
            Ok(text) => Rubric::parse(&text).err().map(|ps| {
                let list: Vec<String> = ps
                    .iter()
                    .map(|p| format!("{} {p}", rubric.display()))
                    .collect();
                format!("rubric is invalid: {}", list.join("; "))
            }),
        };
        if let Some(message) = message {
            problems.push(Problem {
                line: parsed.lines.line_of("settings.rubric"),
                path: "settings.rubric".into(),
                message,
            });
        }
    }
    problems.sort_by_key(|p| p.line);
    problems
}
