//! Loading what every command needs: the config and the rubric. Read fresh
//! on each use, so an edited config takes effect without a restart. The
//! one place the config file is read.

use std::path::{Path, PathBuf};

use readyroom_core::config::{Config, Environment, ParsedConfig};
use readyroom_core::rubric::Rubric;
use readyroom_core::source_text::Problem;

use crate::{Api, ApiError, ErrorCode};

fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("  {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads the config file, or says why it cannot.
fn read_config_text(path: Option<&Path>) -> Result<(PathBuf, String), ApiError> {
    let path = path.ok_or_else(|| {
        ApiError::new(
            ErrorCode::ConfigMissing,
            "no config file: pass --config FILE or set READYROOM_CONFIG",
        )
    })?;
    let text = std::fs::read_to_string(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            ApiError::new(
                ErrorCode::ConfigMissing,
                format!(
                    "no config file at {}: create one with `readyroom config init` (or see the README's Configuration section), pass --config FILE, or try `readyroom demo`",
                    path.display()
                ),
            )
        } else {
            ApiError::new(ErrorCode::ConfigMissing, format!("cannot read config file {}: {e}", path.display()))
        }
    })?;
    Ok((path.to_path_buf(), text))
}

/// Reads and parses the config file: `Err` when it cannot be read, `Ok(Err)`
/// with every problem when it does not validate.
pub fn parse_config(path: Option<&Path>) -> Result<Result<ParsedConfig, Vec<Problem>>, ApiError> {
    let (path, text) = read_config_text(path)?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    Ok(Config::parse(&text, &base))
}

/// Reads and validates the API's config file.
pub fn load_config(api: &Api) -> Result<ParsedConfig, ApiError> {
    let path = api.config_path();
    let path = path.as_deref();
    parse_config(path)?.map_err(|problems| {
        ApiError::new(
            ErrorCode::ConfigInvalid,
            format!(
                "config file {} has {} problem(s):\n{}\nRun `readyroom config check` after fixing them.",
                path.map(|p| p.display().to_string()).unwrap_or_default(),
                problems.len(),
                list(&problems)
            ),
        )
    })
}

/// The environment named (or the default one) in a loaded config.
pub fn environment<'c>(
    config: &'c Config,
    name: Option<&str>,
) -> Result<(&'c str, &'c Environment), ApiError> {
    config.environment(name).map_err(|msg| {
        let code = if name.is_some() {
            ErrorCode::UnknownEnvironment
        } else {
            ErrorCode::NoEnvironment
        };
        ApiError::new(code, msg)
    })
}

/// Fails unless the config defines `name`.
pub fn known_environment(api: &Api, name: &str) -> Result<(), ApiError> {
    environment(&load_config(api)?.config, Some(name)).map(|_| ())
}

/// The environment a command without `--env` means: the config's default,
/// or its only one.
pub fn resolve_environment(api: &Api, name: Option<&str>) -> Result<String, ApiError> {
    let config = load_config(api)?.config;
    environment(&config, name).map(|(n, _)| n.to_string())
}

/// The rubric named in the config, or the built-in default.
pub fn load_rubric(config: &Config) -> Result<Rubric, ApiError> {
    let Some(path) = &config.settings.rubric else {
        return Ok(Rubric::default_rubric());
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        ApiError::new(
            ErrorCode::RubricInvalid,
            format!("cannot read rubric file {}: {e}", path.display()),
        )
    })?;
    Rubric::parse(&text).map_err(|problems| {
        ApiError::new(
            ErrorCode::RubricInvalid,
            format!(
                "rubric file {} is invalid ({} problem(s)); nothing was scored:\n{}",
                path.display(),
                problems.len(),
                list(&problems)
            ),
        )
    })
}
