//! `readyroom config check|path`.

use readyroom_api::commands::Empty;
use readyroom_api::paths;
use readyroom_core::source_text::Problem;
use serde::Serialize;

use crate::app;
use crate::args::{ConfigCheckArgs, Format, Global};
use crate::exit::{self, Failure};

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    path: String,
    valid: bool,
    environments: Vec<String>,
    problems: Vec<Problem>,
    /// Settings that work but put production at risk; not failures.
    warnings: Vec<Problem>,
}

/// Validates everything the config says, including the files it points at,
/// and reports every problem found (exit 1 if any). The same report the
/// Settings view shows.
pub async fn check(global: &Global, args: ConfigCheckArgs) -> Result<u8, Failure> {
    let info = app::api(global)?.get_app_info(Empty {}).await?;
    let path = info.config_path.ok_or_else(|| {
        Failure::error("no config file: pass --config FILE or set READYROOM_CONFIG")
    })?;
    if let (Some(error), true) = (&info.config_error, info.problems.is_empty()) {
        return Err(Failure::error(error.clone()));
    }
    let report = Report {
        path,
        valid: info.config_valid && info.problems.is_empty(),
        environments: info.environments.into_iter().map(|e| e.name).collect(),
        problems: info.problems,
        warnings: info.warnings,
    };
    match args.format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(|e| Failure::error(e.to_string()))?
        ),
        Format::Table | Format::Markdown => {
            if report.valid {
                println!(
                    "{}: ok ({} environment(s): {})",
                    report.path,
                    report.environments.len(),
                    report.environments.join(", ")
                );
            } else {
                println!("{}: {} problem(s)", report.path, report.problems.len());
                for p in &report.problems {
                    println!("  {}:{}: {}: {}", report.path, p.line, p.path, p.message);
                }
            }
            for w in &report.warnings {
                println!(
                    "  warning: {}:{}: {}: {}",
                    report.path, w.line, w.path, w.message
                );
            }
        }
    }
    Ok(if report.valid { exit::OK } else { exit::ERROR })
}

pub fn path(global: &Global) -> Result<u8, Failure> {
    let path = paths::config_file(global.config.as_deref())
        .ok_or_else(|| Failure::error("no platform config directory; pass --config FILE"))?;
    println!("{}", path.display());
    Ok(exit::OK)
}
