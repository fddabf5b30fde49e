//! `edit_config` on real files in a temp folder: comments and keys the
//! edit does not touch survive, an invalid result is refused with its
//! reason and writes nothing, the previous file is kept as .bak, and a
//! file changed on disk since it was read is not overwritten.

use std::sync::Arc;

use readyroom_api::commands::{Empty, EnvironmentFilter};
use readyroom_api::settings::edit::EditConfigRequest;
use readyroom_api::settings::form::CheckConfigRequest;
use readyroom_api::{Api, ErrorCode, NoEvents, Settings};
use readyroom_core::config::edit::ConfigEdit;
use serde_json::json;

fn api(dir: &tempfile::TempDir) -> Api {
    Api::new(
        Settings {
            config_path: Some(dir.path().join("conf/config.toml")),
            store_path: dir.path().join("data/readyroom.db"),
            allow_actions: false,
        },
        Arc::new(NoEvents),
    )
}

const FILE: &str = "# Ours: keep this.\n\
[environments.prod]   # the paying one\n\
base_url = \"https://app.example.com/\"\n\
probe_timeout_ms = 2500 # tuned after the 2026 outage\n";

fn set(key: &str, value: serde_json::Value) -> ConfigEdit {
    ConfigEdit::Set {
        environment: "prod".into(),
        section: None,
        key: key.into(),
        value: Some(value),
    }
}

#[tokio::test]
async fn an_edit_keeps_comments_validates_first_and_keeps_the_previous_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let api = api(&dir);
    let path = dir.path().join("conf/config.toml");

    // No file yet: the first save creates it (and its folder).
    let none = api.get_config_file(Empty {}).await.expect("read");
    assert!(!none.exists && none.revision.is_empty());
    std::fs::create_dir_all(path.parent().expect("dir")).expect("dir");
    std::fs::write(&path, FILE).expect("write");

    let file = api.get_config_file(Empty {}).await.expect("read");
    assert!(file.exists);
    assert_eq!(file.environments, ["prod"]);
    let saved = api
        .edit_config(EditConfigRequest {
            edits: vec![set(
                "health_urls",
                json!(["https://app.example.com/health"]),
            )],
            revision: Some(file.revision.clone()),
        })
        .await
        .expect("saved");
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(
        text.starts_with("# Ours: keep this.\n[environments.prod]   # the paying one\n"),
        "{text}"
    );
    assert!(
        text.contains("probe_timeout_ms = 2500 # tuned after the 2026 outage"),
        "{text}"
    );
    assert!(
        text.contains("health_urls = [\"https://app.example.com/health\"]"),
        "{text}"
    );
    assert_ne!(saved.revision, file.revision);
    let backup = saved.backup.expect("a backup");
    assert_eq!(std::fs::read_to_string(&backup).expect("backup"), FILE);

    // An invalid value: refused with the key and why; the file untouched.
    let before = std::fs::read(&path).expect("read");
    let refused = api
        .edit_config(EditConfigRequest {
            edits: vec![set("probe_timeout_ms", json!(-5))],
            revision: Some(saved.revision.clone()),
        })
        .await
        .expect_err("refused");
    assert_eq!(refused.code, ErrorCode::ConfigInvalid);
    assert!(
        refused.message.contains("not saved") && refused.message.contains("probe_timeout_ms"),
        "{}",
        refused.message
    );
    assert_eq!(std::fs::read(&path).expect("read"), before);

    // Changed on disk since it was read: not overwritten.
    std::fs::write(&path, format!("{FILE}# edited in vim meanwhile\n")).expect("write");
    let stale = api
        .edit_config(EditConfigRequest {
            edits: vec![set("base_url", json!("https://www.example.com/"))],
            revision: Some(saved.revision),
        })
        .await
        .expect_err("stale");
    assert_eq!(stale.code, ErrorCode::ConfigChanged);
    assert!(
        std::fs::read_to_string(&path)
            .expect("read")
            .ends_with("# edited in vim meanwhile\n"),
        "the other edit stands"
    );
    // No temporary file is left beside it.
    let left: Vec<_> = std::fs::read_dir(path.parent().expect("dir"))
        .expect("dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[tokio::test]
async fn the_first_save_creates_the_file_with_its_header() {
    let dir = tempfile::tempdir().expect("tempdir");
    let api = api(&dir);
    let saved = api
        .edit_config(EditConfigRequest {
            edits: vec![
                ConfigEdit::AddEnvironment {
                    name: "prod".into(),
                },
                set("base_url", json!("https://app.example.com/")),
            ],
            revision: Some(String::new()),
        })
        .await
        .expect("created");
    assert!(saved.backup.is_none());
    let text = std::fs::read_to_string(dir.path().join("conf/config.toml")).expect("read");
    assert!(text.starts_with("# Readyroom's config"), "{text}");
    assert!(
        text.contains("[environments.prod]\nbase_url = \"https://app.example.com/\""),
        "{text}"
    );
    let info = api.get_app_info(Empty {}).await.expect("info");
    assert!(info.config_valid, "{:?}", info.problems);
    assert_eq!(info.environments[0].name, "prod");
}

#[tokio::test]
async fn the_environment_form_has_every_section_and_the_values_the_file_has() {
    let dir = tempfile::tempdir().expect("tempdir");
    let api = api(&dir);
    let path = dir.path().join("conf/config.toml");
    std::fs::create_dir_all(path.parent().expect("dir")).expect("dir");
    std::fs::write(
        &path,
        format!(
            "{FILE}\n[environments.prod.postgres]\nurl_secret = \"prod/db\"\nallow_cancel = true\n"
        ),
    )
    .expect("write");
    let form = api
        .get_environment_form(EnvironmentFilter {
            environment: Some("prod".into()),
        })
        .await
        .expect("form");
    let keys: Vec<&str> = form.sections.iter().map(|s| s.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "",
            "postgres",
            "pgbouncer",
            "app_pool",
            "traces",
            "quota",
            "deploy"
        ]
    );
    assert_eq!(form.values["base_url"], json!("https://app.example.com/"));
    assert_eq!(form.values["probe_timeout_ms"], json!(2500));
    assert_eq!(
        form.values["postgres"],
        json!({"url_secret": "prod/db", "allow_cancel": true})
    );
    assert_eq!(
        form.revision,
        api.get_config_file(Empty {}).await.expect("file").revision
    );
    // A new environment's form: the sections, no values.
    let blank = api
        .get_environment_form(EnvironmentFilter { environment: None })
        .await
        .expect("form");
    assert_eq!(blank.values, json!({}));
}

#[tokio::test]
async fn pending_edits_are_checked_by_config_checks_rules_and_nothing_is_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let api = api(&dir);
    let path = dir.path().join("conf/config.toml");
    std::fs::create_dir_all(path.parent().expect("dir")).expect("dir");
    std::fs::write(&path, FILE).expect("write");
    let in_section = |section: &str, key: &str, value: serde_json::Value| ConfigEdit::Set {
        environment: "prod".into(),
        section: Some(section.into()),
        key: key.into(),
        value: Some(value),
    };
    let check = api
        .check_config_edits(CheckConfigRequest {
            edits: vec![
                set("probe_timeout_ms", json!(50)),
                set("health_urls", json!(["ftp://nope"])),
                in_section("deploy", "provider", json!("vercel")),
            ],
        })
        .await
        .expect("checked");
    assert!(!check.ok);
    let paths: Vec<&str> = check.problems.iter().map(|p| p.path.as_str()).collect();
    assert!(
        paths.contains(&"environments.prod.probe_timeout_ms"),
        "{paths:?}"
    );
    assert!(
        paths.contains(&"environments.prod.health_urls[0]"),
        "{paths:?}"
    );
    // What the provider needs, as config check says it.
    assert!(
        paths.contains(&"environments.prod.deploy.project_id"),
        "{paths:?}"
    );
    assert!(
        paths.contains(&"environments.prod.deploy.token_secret"),
        "{paths:?}"
    );
    assert_eq!(
        std::fs::read_to_string(&path).expect("read"),
        FILE,
        "nothing written"
    );

    let fine = api
        .check_config_edits(CheckConfigRequest {
            edits: vec![set("probe_timeout_ms", json!(3000))],
        })
        .await
        .expect("checked");
    assert!(fine.ok && fine.problems.is_empty(), "{:?}", fine.problems);
    // An edit that cannot apply is the form's problem, said as such.
    let gone = api
        .check_config_edits(CheckConfigRequest {
            edits: vec![ConfigEdit::RemoveEnvironment {
                name: "staging".into(),
            }],
        })
        .await
        .expect("checked");
    assert_eq!(gone.problems.len(), 1);
    assert_eq!(gone.problems[0].message, "no environment named staging");
}
