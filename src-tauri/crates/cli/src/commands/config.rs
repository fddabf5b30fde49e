//! `readyroom config check|path`.

use std::path::Path;

use readyroom_core::config::Config;
use readyroom_core::rubric::Rubric;
use readyroom_core::source_text::Problem;
use readyroom_sources::trust::ExtraRoots;
use serde::Serialize;

use crate::args::{ConfigCheckArgs, Format, Global};
use crate::exit::{self, Failure};
use readyroom_api::paths;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    path: String,
    valid: bool,
    environments: Vec<String>,
    problems: Vec<Problem>,
}

/// Validates everything the config says, including the files it points at,
/// and reports every problem found (exit 1 if any).
pub fn check(global: &Global, args: ConfigCheckArgs) -> Result<u8, Failure> {
    let path = paths::config_file(global.config.as_deref()).ok_or_else(|| {
        Failure::error("no config file: pass --config FILE or set READYROOM_CONFIG")
    })?;
    let text = std::fs::read_to_string(&path)
        .map_err(|e| Failure::error(format!("cannot read config file {}: {e}", path.display())))?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let (environments, problems) = match Config::parse(&text, &base) {
        Err(problems) => (Vec::new(), problems),
        Ok(parsed) => {
            let mut problems = Vec::new();
            let config = &parsed.config;
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
            (config.environments.keys().cloned().collect(), problems)
        }
    };
    let report = Report {
        path: path.display().to_string(),
        valid: problems.is_empty(),
        environments,
        problems,
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
