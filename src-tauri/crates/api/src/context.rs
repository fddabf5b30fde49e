//! Loading what every command needs: the config and the rubric. Read fresh
//! on each use, so an edited config takes effect without a restart.

use std::path::{Path, PathBuf};

use readyroom_core::config::{Config, ParsedConfig};
use readyroom_core::rubric::Rubric;
use readyroom_core::source_text::Problem;

use crate::{ApiError, ErrorCode};

fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("  {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads the config file, or says why it cannot.
pub fn read_config_text(path: Option<&Path>) -> Result<(PathBuf, String), ApiError> {
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
                    "no config file at {}: create one (see the README's Configuration section), pass --config FILE, or try `readyroom demo`",
                    path.display()
                ),
            )
        } else {
            ApiError::new(ErrorCode::ConfigMissing, format!("cannot read config file {}: {e}", path.display()))
        }
    })?;
    Ok((path.to_path_buf(), text))
}

/// Reads and validates the config file.
pub fn load_config(path: Option<&Path>) -> Result<ParsedConfig, ApiError> {
    let (path, text) = read_config_text(path)?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    Config::parse(&text, &base).map_err(|problems| {
        ApiError::new(
            ErrorCode::ConfigInvalid,
            format!(
                "config file {} has {} problem(s):\n{}\nRun `readyroom config check` after fixing them.",
                path.display(),
                problems.len(),
                list(&problems)
            ),
        )
    })
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
