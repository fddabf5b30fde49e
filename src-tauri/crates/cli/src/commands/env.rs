//! `readyroom env list|add|rename|rm` and `readyroom config init`: the
//! config file's environments edited without a text editor, through the
//! same `edit_config` the app's Settings use (comments kept, validated,
//! written atomically, the previous file kept as .bak).

use std::io::IsTerminal;

use readyroom_api::commands::Empty;
use readyroom_api::settings::edit::{ConfigFile, EditConfigRequest};
use readyroom_core::config::edit::ConfigEdit;
use readyroom_core::format::printable;
use serde_json::json;

use crate::app;
use crate::args::{
    ConfigInitArgs, EnvAddArgs, EnvListArgs, EnvRenameArgs, EnvRmArgs, EnvUrls, Format, Global,
};
use crate::exit::{self, Failure};

async fn edit(global: &Global, edits: Vec<ConfigEdit>) -> Result<ConfigFile, Failure> {
    let api = app::api(global)?;
    // The revision read now: an editor saving between this read and the
    // write is noticed and nothing is overwritten.
    let file = api.get_config_file(Empty {}).await?;
    Ok(api
        .edit_config(EditConfigRequest {
            edits,
            revision: Some(file.revision),
        })
        .await?)
}

fn url_edits(name: &str, urls: &EnvUrls) -> Vec<ConfigEdit> {
    let set = |key: &str, value: serde_json::Value| ConfigEdit::Set {
        environment: name.to_string(),
        section: None,
        key: key.into(),
        value: Some(value),
    };
    let mut edits = Vec::new();
    if let Some(base) = &urls.base_url {
        edits.push(set("base_url", json!(base)));
    }
    if !urls.health_urls.is_empty() {
        edits.push(set("health_urls", json!(urls.health_urls)));
    }
    edits
}

fn said(file: &ConfigFile, what: &str) {
    eprintln!("{what} in {}.", file.path);
    if let Some(backup) = &file.backup {
        eprintln!("The previous file is kept as {backup}.");
    }
}

pub async fn list(global: &Global, args: EnvListArgs) -> Result<u8, Failure> {
    let api = app::api(global)?;
    let file = api.get_config_file(Empty {}).await?;
    if !file.exists {
        return Err(Failure::error(format!(
            "no config file at {}: create one with `readyroom config init`, or try `readyroom demo`",
            file.path
        )));
    }
    let info = api.get_app_info(Empty {}).await?;
    let rows: Vec<serde_json::Value> = file
        .environments
        .iter()
        .map(|name| {
            let known = info.environments.iter().find(|e| &e.name == name);
            json!({
                "name": name,
                "default": info.default_environment.as_deref() == Some(name.as_str()),
                "baseUrl": known.and_then(|e| e.base_url.clone()),
                "secrets": known.map(|e| e.secrets.clone()).unwrap_or_default(),
            })
        })
        .collect();
    match args.format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "path": file.path,
                "valid": info.config_valid,
                "environments": rows,
            }))
            .map_err(|e| Failure::error(e.to_string()))?
        ),
        Format::Table | Format::Markdown => {
            println!("{}:", file.path);
            if rows.is_empty() {
                println!("  no environments yet: `readyroom env add NAME --base-url URL`");
            }
            for r in &rows {
                println!(
                    "  {}{}  {}",
                    printable(r["name"].as_str().unwrap_or_default()),
                    if r["default"] == true {
                        " (default)"
                    } else {
                        ""
                    },
                    printable(r["baseUrl"].as_str().unwrap_or("(no base_url)"))
                );
            }
            if !info.config_valid {
                println!("The config has problems: `readyroom config check` lists them.");
            }
        }
    }
    Ok(exit::OK)
}

pub async fn add(global: &Global, args: EnvAddArgs) -> Result<u8, Failure> {
    let mut edits = vec![ConfigEdit::AddEnvironment {
        name: args.name.clone(),
    }];
    edits.extend(url_edits(&args.name, &args.urls));
    if args.default {
        edits.push(ConfigEdit::SetDefault {
            name: Some(args.name.clone()),
        });
    }
    let file = edit(global, edits).await?;
    said(
        &file,
        &format!("Added environment {}", printable(&args.name)),
    );
    Ok(exit::OK)
}

pub async fn rename(global: &Global, args: EnvRenameArgs) -> Result<u8, Failure> {
    let file = edit(
        global,
        vec![ConfigEdit::RenameEnvironment {
            from: args.from.clone(),
            to: args.to.clone(),
        }],
    )
    .await?;
    said(
        &file,
        &format!(
            "Renamed {} to {}",
            printable(&args.from),
            printable(&args.to)
        ),
    );
    Ok(exit::OK)
}

pub async fn remove(global: &Global, args: EnvRmArgs) -> Result<u8, Failure> {
    let file = edit(
        global,
        vec![ConfigEdit::RemoveEnvironment {
            name: args.name.clone(),
        }],
    )
    .await?;
    said(
        &file,
        &format!("Removed environment {}", printable(&args.name)),
    );
    Ok(exit::OK)
}

/// One answer at the terminal; `default` when left empty.
fn ask(question: &str, default: &str) -> Result<String, Failure> {
    let prompt = if default.is_empty() {
        format!("{question}: ")
    } else {
        format!("{question} [{default}]: ")
    };
    let line = super::confirm::answer(&prompt)?;
    let answer = line.trim();
    Ok(if answer.is_empty() {
        default.to_string()
    } else {
        answer.to_string()
    })
}

pub async fn init(global: &Global, mut args: ConfigInitArgs) -> Result<u8, Failure> {
    let api = app::api(global)?;
    let file = api.get_config_file(Empty {}).await?;
    if file.exists {
        return Err(Failure::error(format!(
            "{} already exists: add environments with `readyroom env add NAME`, check it with `readyroom config check`",
            file.path
        )));
    }
    let name = match args.env.take() {
        Some(name) => name,
        None if std::io::stdin().is_terminal() => {
            eprintln!("Creating {}.", file.path);
            let name = ask("Environment name", "production")?;
            let base = ask("Its public URL (e.g. https://app.example.com)", "")?;
            let health = ask(
                "Health URLs, comma-separated (e.g. https://app.example.com/health)",
                "",
            )?;
            args.urls.base_url = Some(base).filter(|b| !b.is_empty());
            args.urls.health_urls = health
                .split(',')
                .map(|h| h.trim().to_string())
                .filter(|h| !h.is_empty())
                .collect();
            name
        }
        None => {
            return Err(Failure::usage(
                "no terminal to ask at: pass --env NAME (and --base-url URL, --health-url URL)",
            ))
        }
    };
    let mut edits = vec![ConfigEdit::AddEnvironment { name: name.clone() }];
    edits.extend(url_edits(&name, &args.urls));
    let created = api
        .edit_config(EditConfigRequest {
            edits,
            revision: Some(file.revision),
        })
        .await?;
    said(
        &created,
        &format!("Created the config with environment {}", printable(&name)),
    );
    eprintln!(
        "Next: `readyroom score --env {}`; secrets with `readyroom secret set NAME`.",
        printable(&name)
    );
    Ok(exit::OK)
}
