//! The environment forms of Settings (issue 14), derived from the config
//! schema: each section of `[environments.NAME]`, each key with what it
//! means, its default and what it takes, so the forms never drift from
//! what `config check` accepts.

use serde::Serialize;
use ts_rs::TS;

/// One section of an environment's form: its own keys (`key` ""), or one
/// of its tables (`postgres`, `deploy`, …).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FormSection {
    /// The table's key under `[environments.NAME]`; "" for the
    /// environment's own keys.
    pub key: String,
    pub title: String,
    /// What the section is for.
    pub about: String,
    /// The source `test_connection` runs for it, where there is one.
    #[ts(optional)]
    pub test: Option<String>,
    pub fields: Vec<FormField>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FormField {
    pub key: String,
    pub kind: FieldKind,
    /// What the key means.
    pub meaning: String,
    /// What applies when it is left empty ("" when nothing does).
    pub default: String,
    /// Whether the section needs it once the section exists.
    pub required: bool,
}

/// What a field takes, and so how the form edits it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum FieldKind {
    Text,
    Url,
    /// URLs, one a line.
    UrlList,
    Path,
    /// A keychain entry's name; the form also takes its value, which goes
    /// to the keychain and never into the file.
    Secret,
    Integer {
        #[ts(type = "number")]
        min: i64,
        #[ts(type = "number")]
        max: i64,
    },
    Choice {
        choices: Vec<String>,
    },
    Bool,
    /// Host names, one a line.
    HostList,
    /// Texts, one a line.
    TextList,
    /// `name = value` pairs, one a line.
    TextMap,
    /// A Prometheus metric, labels optional.
    Selector,
}

/// The title, purpose and test source of each section, by its key.
pub(super) const SECTIONS: &[(&str, &str, &str, Option<&str>)] = &[
    (
        "",
        "Where production answers",
        "The URLs the scorecard probes: health, TLS, headers, auth, errors and metrics.",
        Some("health"),
    ),
    (
        "postgres",
        "PostgreSQL",
        "The server's connections, locks and cache, read over one read-only connection.",
        Some("postgres"),
    ),
    (
        "pgbouncer",
        "PgBouncer",
        "The pooler's admin console: SHOW POOLS, STATS and DATABASES.",
        Some("pgbouncer"),
    ),
    (
        "app_pool",
        "App pool",
        "The app's own database pool, from its Prometheus metrics.",
        Some("app pool"),
    ),
    (
        "traces",
        "Traces",
        "Where the team keeps traces (Tempo or Jaeger); the local OTLP receiver is always on.",
        Some("traces"),
    ),
    (
        "quota",
        "Quota usage",
        "Per-tier usage: the quota data contract in PostgreSQL, or the app's usage endpoint.",
        Some("quota"),
    ),
    (
        "deploy",
        "Deploy provider",
        "What lists production's deployments and rolls back: Vercel, a webhook, a command, or the demo.",
        Some("deploys"),
    ),
];

/// The environment form: every section and key of `[environments.NAME]`.
pub fn environment_form() -> Vec<FormSection> {
    super::schema::environment_form()
}

/// `[environments.NAME]` of a config file's text as JSON for the form: the
/// keys it shows, as the file has them, never a credential (keys the
/// schema does not know are left out, URLs lose any user and password);
/// `None` when the file does not parse or has no such environment.
pub fn environment_values(text: &str, name: &str) -> Option<serde_json::Value> {
    let root: toml::Table = toml::from_str(text).ok()?;
    let env = root
        .get("environments")?
        .as_table()?
        .get(name)?
        .as_table()?;
    serde_json::to_value(super::schema::form_values(env)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forms_values_never_carry_a_pasted_credential() {
        let text = "[environments.p]\n\
            base_url = \"https://ops:hunter2@app.example.com/\"\n\
            health_urls = [\"https://app.example.com/health\", \"https://u:hunter2@b.example.com/h\"]\n\
            password = \"hunter2\"\n\
            probe_timeout_ms = 2500\n\
            [environments.p.postgres]\n\
            url = \"postgres://u:hunter2@db/x\"\n\
            url_secret = \"p/db\"\n";
        let values = environment_values(text, "p").expect("values");
        assert!(!values.to_string().contains("hunter2"), "{values}");
        assert_eq!(values["base_url"], "https://app.example.com/");
        assert_eq!(values["health_urls"][1], "https://b.example.com/h");
        assert_eq!(values["probe_timeout_ms"], 2500);
        assert_eq!(
            values["postgres"],
            serde_json::json!({"url_secret": "p/db"})
        );
        assert!(environment_values(text, "q").is_none());
        assert!(environment_values("not toml [", "p").is_none());
    }

    #[test]
    fn every_environment_key_has_a_section_a_meaning_and_a_kind() {
        let form = environment_form();
        assert_eq!(
            form.len(),
            SECTIONS.len(),
            "a section per table, and one for the environment's own keys"
        );
        for section in &form {
            assert!(
                !section.fields.is_empty(),
                "section {:?} has no fields",
                section.key
            );
            for field in &section.fields {
                assert!(
                    field.meaning.len() > 10,
                    "{}.{} needs its meaning in the schema (.doc)",
                    section.key,
                    field.key
                );
            }
        }
        let deploy = form.iter().find(|s| s.key == "deploy").expect("deploy");
        let provider = deploy
            .fields
            .iter()
            .find(|f| f.key == "provider")
            .expect("provider");
        assert!(provider.required);
        assert_eq!(
            provider.kind,
            FieldKind::Choice {
                choices: ["vercel", "webhook", "command", "demo"]
                    .map(String::from)
                    .to_vec()
            }
        );
        let general = &form[0];
        assert_eq!(general.key, "");
        assert!(general
            .fields
            .iter()
            .any(|f| f.key == "health_urls" && f.kind == FieldKind::UrlList));
        assert!(
            !general.fields.iter().any(|f| f.key == "postgres"),
            "tables are sections, not fields"
        );
        let pg = form.iter().find(|s| s.key == "postgres").expect("postgres");
        let timeout = pg
            .fields
            .iter()
            .find(|f| f.key == "statement_timeout_ms")
            .expect("statement_timeout_ms");
        assert_eq!(
            timeout.kind,
            FieldKind::Integer {
                min: 100,
                max: 60_000
            }
        );
        assert_eq!(timeout.default, "2000");
        assert_eq!(
            pg.fields
                .iter()
                .find(|f| f.key == "url_secret")
                .expect("url_secret")
                .kind,
            FieldKind::Secret
        );
    }
}
