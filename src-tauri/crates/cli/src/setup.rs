//! Loading what every command needs: the config, the rubric, the store.

use std::path::Path;

use readyroom_core::config::{Config, ParsedConfig};
use readyroom_core::rubric::Rubric;
use readyroom_core::source_text::Problem;
use readyroom_store::Store;

use crate::args::Global;
use crate::exit::Failure;
use crate::paths;

pub struct Loaded {
    pub parsed: ParsedConfig,
}

impl Loaded {
    pub fn config(&self) -> &Config {
        &self.parsed.config
    }
}

fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("  {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads and validates the config file.
pub fn load_config(global: &Global) -> Result<Loaded, Failure> {
    let path = paths::config_file(global).ok_or_else(|| {
        Failure::error("no config file: pass --config FILE or set READYROOM_CONFIG")
    })?;
    let text = std::fs::read_to_string(&path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Failure::error(format!(
                "no config file at {}: create one (see the README's Configuration section), pass --config FILE, or try `readyroom demo`",
                path.display()
            ))
        } else {
            Failure::error(format!("cannot read config file {}: {e}", path.display()))
        }
    })?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let parsed = Config::parse(&text, &base).map_err(|problems| {
        Failure::error(format!(
            "config file {} has {} problem(s):\n{}\nRun `readyroom config check` after fixing them.",
            path.display(),
            problems.len(),
            list(&problems)
        ))
    })?;
    Ok(Loaded { parsed })
}

/// The rubric named in the config, or the built-in default.
pub fn load_rubric(config: &Config) -> Result<Rubric, Failure> {
    let Some(path) = &config.settings.rubric else {
        return Ok(Rubric::default_rubric());
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::error(format!("cannot read rubric file {}: {e}", path.display())))?;
    Rubric::parse(&text).map_err(|problems| {
        Failure::error(format!(
            "rubric file {} is invalid ({} problem(s)); nothing was scored:\n{}",
            path.display(),
            problems.len(),
            list(&problems)
        ))
    })
}

pub async fn open_store() -> Result<Store, Failure> {
    let path = paths::store_file().ok_or_else(|| {
        Failure::error("no data directory for the local store: set READYROOM_DATA_DIR")
    })?;
    Ok(Store::open(&path).await?)
}
