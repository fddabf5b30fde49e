//! Edits to the config file made from the app or the CLI (`env add|rm`,
//! Settings → Environments), applied to the TOML document itself with
//! `toml_edit`, so the user's comments, ordering and keys Readyroom does
//! not know survive. The result is validated with the same rules as
//! `config check` before anything is written (that, and the write, are the
//! application layer's).

use serde::{Deserialize, Serialize};
use toml_edit::{DocumentMut, Item, Table};
use ts_rs::TS;

/// One change to the config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum ConfigEdit {
    /// A new, empty `[environments.NAME]`.
    #[serde(rename_all = "camelCase")]
    AddEnvironment { name: String },
    /// Renames an environment, its sections and `default_environment`
    /// with it.
    #[serde(rename_all = "camelCase")]
    RenameEnvironment { from: String, to: String },
    /// Removes an environment and its sections (and `default_environment`
    /// when it named it).
    #[serde(rename_all = "camelCase")]
    RemoveEnvironment { name: String },
    /// Sets `key` in `[environments.ENV]` or, with `section`, in
    /// `[environments.ENV.SECTION]` (created when missing); `value: null`
    /// removes the key (and a section left empty).
    #[serde(rename_all = "camelCase")]
    Set {
        environment: String,
        #[serde(default)]
        #[ts(optional)]
        section: Option<String>,
        key: String,
        #[ts(type = "unknown")]
        value: Option<serde_json::Value>,
    },
    /// Sets (or, with null, removes) `default_environment`.
    #[serde(rename_all = "camelCase")]
    SetDefault { name: Option<String> },
}

/// What a config starts as when Readyroom creates it.
pub const NEW_FILE: &str = "# Readyroom's config: environments and what to read in each.\n\
# Edited by Readyroom from the app or `readyroom env`; comments, order and\n\
# keys it does not know are kept. Secrets never go here: they live in the\n\
# OS keychain, named by the *_secret keys.\n";

/// Parses `text` (a config file, possibly empty) for editing.
pub fn document(text: &str) -> Result<DocumentMut, String> {
    text.parse::<DocumentMut>()
        .map_err(|e| format!("the config file is not valid TOML: {e}"))
}

/// An environment name Readyroom writes: letters, digits, `-` and `_`
/// (a bare TOML key, and a word to type at a prompt).
pub fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{name:?} is not an environment name: use 1 to 64 letters, digits, - and _"
        ))
    }
}

fn environments(doc: &mut DocumentMut) -> &mut Table {
    let root = doc.as_table_mut();
    if !root.contains_key("environments") {
        let mut table = Table::new();
        // `[environments.NAME]` headers only, never a bare `[environments]`.
        table.set_implicit(true);
        root.insert("environments", Item::Table(table));
    }
    root["environments"]
        .as_table_mut()
        .expect("environments is a table (checked by the caller)")
}

fn has_environment(doc: &DocumentMut, name: &str) -> bool {
    doc.get("environments")
        .and_then(Item::as_table)
        .is_some_and(|t| t.contains_key(name))
}

fn environments_is_table(doc: &DocumentMut) -> Result<(), String> {
    match doc.get("environments") {
        None => Ok(()),
        Some(item) if item.is_table() => Ok(()),
        Some(_) => Err("environments in the config file is not a table of [environments.NAME] sections; fix it by hand first".into()),
    }
}

/// Applies `edit` to `doc`; the error says why it cannot be (nothing is
/// changed then).
pub fn apply(doc: &mut DocumentMut, edit: &ConfigEdit) -> Result<(), String> {
    environments_is_table(doc)?;
    match edit {
        ConfigEdit::AddEnvironment { name } => {
            check_name(name)?;
            if has_environment(doc, name) {
                return Err(format!("an environment named {name} already exists"));
            }
            let mut table = Table::new();
            // A file of comments only (a new one) keeps them on top: they
            // would otherwise trail the first table.
            if doc.as_table().is_empty() {
                let header = doc.trailing().as_str().unwrap_or_default().to_string();
                if !header.trim().is_empty() {
                    table
                        .decor_mut()
                        .set_prefix(format!("{}\n", header.trim_end()) + "\n");
                    doc.set_trailing("");
                }
            }
            environments(doc).insert(name, Item::Table(table));
        }
        ConfigEdit::RenameEnvironment { from, to } => {
            check_name(to)?;
            if !has_environment(doc, from) {
                return Err(format!("no environment named {from}"));
            }
            if from != to && has_environment(doc, to) {
                return Err(format!("an environment named {to} already exists"));
            }
            let envs = environments(doc);
            // The table keeps its position, decor and sub-tables: its
            // comments and place in the file go with it.
            let item = envs.remove(from).expect("checked above");
            envs.insert(to, item);
            if doc.get("default_environment").and_then(Item::as_str) == Some(from.as_str()) {
                doc["default_environment"] = toml_edit::value(to.as_str());
            }
        }
        ConfigEdit::RemoveEnvironment { name } => {
            if !has_environment(doc, name) {
                return Err(format!("no environment named {name}"));
            }
            environments(doc).remove(name);
            if doc.get("default_environment").and_then(Item::as_str) == Some(name.as_str()) {
                doc.remove("default_environment");
            }
        }
        ConfigEdit::SetDefault { name } => match name {
            Some(name) if !has_environment(doc, name) => {
                return Err(format!("no environment named {name}"))
            }
            Some(name) => {
                let new = !doc.contains_key("default_environment");
                doc["default_environment"] = toml_edit::value(name.as_str());
                if new {
                    keep_header_on_top(doc, "default_environment");
                }
            }
            None => {
                doc.remove("default_environment");
            }
        },
        ConfigEdit::Set {
            environment,
            section,
            key,
            value,
        } => {
            if !has_environment(doc, environment) {
                return Err(format!("no environment named {environment}"));
            }
            if key.is_empty() {
                return Err("an empty key".into());
            }
            let env = environments(doc)[environment.as_str()]
                .as_table_mut()
                .ok_or_else(|| format!("[environments.{environment}] is not a table"))?;
            let table = match section {
                None => env,
                Some(section) => {
                    if !env.contains_key(section) {
                        if value.is_none() {
                            return Ok(());
                        }
                        env.insert(section, Item::Table(Table::new()));
                    }
                    env[section.as_str()].as_table_mut().ok_or_else(|| {
                        format!("environments.{environment}.{section} is not a table")
                    })?
                }
            };
            match value {
                None => {
                    table.remove(key);
                }
                Some(value) => {
                    let value = toml_value(value)
                        .ok_or_else(|| format!("{key}: a value TOML cannot hold (null inside?)"))?;
                    // Keep the comment and spacing around a key set again.
                    match table.get_mut(key).and_then(Item::as_value_mut) {
                        Some(old) => {
                            let decor = old.decor().clone();
                            *old = value;
                            *old.decor_mut() = decor;
                        }
                        None => {
                            table.insert(key, Item::Value(value));
                        }
                    }
                }
            }
            if let Some(section) = section {
                let env = environments(doc)[environment.as_str()]
                    .as_table_mut()
                    .expect("a table above");
                if env
                    .get(section)
                    .and_then(Item::as_table)
                    .is_some_and(Table::is_empty)
                {
                    env.remove(section);
                }
            }
        }
    }
    Ok(())
}

/// A key added at the top level of a file that had none prints above its
/// first section, and so above the comment opening the file (held by the
/// first section): that comment, up to the blank line before the
/// section's own, moves onto the key.
fn keep_header_on_top(doc: &mut DocumentMut, key: &str) {
    let values = doc
        .as_table()
        .iter()
        .filter(|(_, item)| item.is_value())
        .count();
    if values != 1 {
        return;
    }
    let Some(first) = doc
        .get_mut("environments")
        .and_then(Item::as_table_mut)
        .and_then(|envs| {
            envs.iter_mut()
                .filter_map(|(_, item)| item.as_table_mut())
                .min_by_key(|t| t.position().unwrap_or(isize::MAX))
        })
    else {
        return;
    };
    let header = first
        .decor()
        .prefix()
        .and_then(|p| p.as_str())
        .unwrap_or_default()
        .to_string();
    // Only what a blank line separates from the section opens the file;
    // the comment right above the section is the section's and stays.
    let Some(split) = header.rfind("\n\n") else {
        return;
    };
    let (opening, own) = header.split_at(split + 2);
    if !opening.trim_start().starts_with('#') {
        return;
    }
    let (opening, own) = (opening.to_string(), own.to_string());
    first.decor_mut().set_prefix(format!("\n{own}"));
    if let Some(mut k) = doc.as_table_mut().key_mut(key) {
        k.leaf_decor_mut().set_prefix(opening);
    }
}

/// A JSON value as TOML: strings, integers, floats, booleans, arrays and
/// objects (inline tables); `None` for a null.
fn toml_value(json: &serde_json::Value) -> Option<toml_edit::Value> {
    use serde_json::Value as J;
    Some(match json {
        J::Null => return None,
        J::Bool(b) => (*b).into(),
        J::Number(n) => match n.as_i64() {
            Some(i) => i.into(),
            None => n.as_f64()?.into(),
        },
        J::String(s) => s.as_str().into(),
        J::Array(items) => {
            let mut array = toml_edit::Array::new();
            for item in items {
                array.push(toml_value(item)?);
            }
            toml_edit::Value::Array(array)
        }
        J::Object(map) => {
            let mut table = toml_edit::InlineTable::new();
            for (k, v) in map {
                table.insert(k, toml_value(v)?);
            }
            toml_edit::Value::InlineTable(table)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"# Our production, as ops sees it.
default_environment = "prod"

[environments.prod]   # the one that pays
base_url = "https://app.example.com/"
health_urls = ["https://app.example.com/health"]
team_note = "kept: Readyroom does not know this key"

# Pool reads, added by Dana.
[environments.prod.postgres]
url_secret = "prod/database-url"

[environments.staging]
base_url = "https://staging.example.com/"
"#;

    fn edited(edits: &[ConfigEdit]) -> Result<String, String> {
        let mut doc = document(FILE)?;
        for e in edits {
            apply(&mut doc, e)?;
        }
        Ok(doc.to_string())
    }

    fn set(env: &str, section: Option<&str>, key: &str, value: serde_json::Value) -> ConfigEdit {
        ConfigEdit::Set {
            environment: env.into(),
            section: section.map(str::to_string),
            key: key.into(),
            value: (!value.is_null()).then_some(value),
        }
    }

    #[test]
    fn a_set_keeps_comments_order_and_unknown_keys() {
        let text = edited(&[
            set(
                "prod",
                None,
                "base_url",
                serde_json::json!("https://www.example.com/"),
            ),
            set(
                "prod",
                Some("deploy"),
                "provider",
                serde_json::json!("demo"),
            ),
            set("staging", None, "probe_timeout_ms", serde_json::json!(2500)),
        ])
        .expect("edits");
        assert!(
            text.starts_with("# Our production, as ops sees it.\n"),
            "{text}"
        );
        assert!(
            text.contains("[environments.prod]   # the one that pays\n"),
            "{text}"
        );
        assert!(
            text.contains("base_url = \"https://www.example.com/\"\n"),
            "{text}"
        );
        assert!(text.contains("team_note = \"kept"), "{text}");
        assert!(
            text.contains("# Pool reads, added by Dana.\n[environments.prod.postgres]"),
            "{text}"
        );
        assert!(text.contains("probe_timeout_ms = 2500"), "{text}");
        // Sections stay where they were.
        let at = |s: &str| text.find(s).unwrap_or_else(|| panic!("{s} in {text}"));
        assert!(at("[environments.prod.postgres]") < at("[environments.prod.deploy]"));
        assert!(at("[environments.prod]") < at("[environments.staging]"));
    }

    #[test]
    fn rename_and_remove_carry_sections_comments_and_the_default() {
        let text = edited(&[ConfigEdit::RenameEnvironment {
            from: "prod".into(),
            to: "production".into(),
        }])
        .expect("renamed");
        assert!(
            text.contains("default_environment = \"production\""),
            "{text}"
        );
        assert!(
            text.contains("[environments.production]   # the one that pays"),
            "{text}"
        );
        assert!(
            text.contains("# Pool reads, added by Dana.\n[environments.production.postgres]"),
            "{text}"
        );
        assert!(!text.contains("[environments.prod]"), "{text}");

        let text = edited(&[ConfigEdit::RemoveEnvironment {
            name: "prod".into(),
        }])
        .expect("removed");
        assert!(!text.contains("prod"), "{text}");
        assert!(!text.contains("default_environment"), "{text}");
        assert!(text.contains("[environments.staging]"), "{text}");
    }

    #[test]
    fn edits_that_cannot_be_say_why() {
        let cases = [
            (
                ConfigEdit::AddEnvironment {
                    name: "prod".into(),
                },
                "already exists",
            ),
            (
                ConfigEdit::AddEnvironment {
                    name: "my prod".into(),
                },
                "not an environment name",
            ),
            (
                ConfigEdit::RemoveEnvironment { name: "qa".into() },
                "no environment named qa",
            ),
            (
                ConfigEdit::RenameEnvironment {
                    from: "prod".into(),
                    to: "staging".into(),
                },
                "already exists",
            ),
            (
                set("qa", None, "base_url", serde_json::json!("x")),
                "no environment named qa",
            ),
            (
                ConfigEdit::SetDefault {
                    name: Some("qa".into()),
                },
                "no environment named qa",
            ),
        ];
        for (edit, why) in cases {
            let e = edited(std::slice::from_ref(&edit)).expect_err("refused");
            assert!(e.contains(why), "{edit:?}: {e}");
        }
    }

    #[test]
    fn a_new_file_gets_its_first_environment_and_removing_a_key_drops_an_empty_section() {
        let mut doc = document(NEW_FILE).expect("new");
        apply(
            &mut doc,
            &ConfigEdit::AddEnvironment {
                name: "prod".into(),
            },
        )
        .expect("add");
        apply(
            &mut doc,
            &set(
                "prod",
                Some("deploy"),
                "provider",
                serde_json::json!("demo"),
            ),
        )
        .expect("set");
        apply(
            &mut doc,
            &set(
                "prod",
                None,
                "health_urls",
                serde_json::json!(["https://a/health"]),
            ),
        )
        .expect("set");
        apply(
            &mut doc,
            &set("prod", Some("deploy"), "provider", serde_json::Value::Null),
        )
        .expect("unset");
        let text = doc.to_string();
        assert!(text.starts_with(NEW_FILE), "{text}");
        assert!(
            text.contains("[environments.prod]\nhealth_urls = [\"https://a/health\"]"),
            "{text}"
        );
        assert!(!text.contains("[environments]\n"), "{text}");
        assert!(!text.contains("deploy"), "{text}");
        apply(
            &mut doc,
            &ConfigEdit::SetDefault {
                name: Some("prod".into()),
            },
        )
        .expect("default");
        let text = doc.to_string();
        assert!(
            text.starts_with(NEW_FILE),
            "the header stays on top: {text}"
        );
        assert!(
            text.contains("default_environment = \"prod\"\n\n[environments.prod]"),
            "{text}"
        );
        let parsed: toml::Table = toml::from_str(&text).expect("valid TOML");
        assert!(parsed["environments"]["prod"].is_table());
    }
}
