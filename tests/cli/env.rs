//! `readyroom config init` and `readyroom env add|rename|rm|list` through
//! the binary: the file created in the platform config dir (XDG) when
//! there is none, a user's comment surviving every edit, an invalid value
//! refused with its reason and nothing written, the previous file kept.

use readyroom_tests::TestEnv;

fn config_file(env: &TestEnv) -> std::path::PathBuf {
    env.path("xdg-config").join("readyroom/config.toml")
}

#[tokio::test(flavor = "multi_thread")]
async fn init_then_env_add_rename_rm_keep_the_users_comments() {
    let env = TestEnv::new();
    // No terminal and no --env: nothing to ask with, nothing written.
    let asked = env.run(&["config", "init"]).await;
    assert_eq!(asked.code, 2, "{}", asked.all_output());
    assert!(asked.stderr.contains("pass --env NAME"), "{}", asked.stderr);
    assert!(!config_file(&env).exists());

    let init = env
        .run(&[
            "config",
            "init",
            "--env",
            "prod",
            "--base-url",
            "https://app.example.com/",
            "--health-url",
            "https://app.example.com/health",
        ])
        .await;
    assert_eq!(init.code, 0, "{}", init.all_output());
    let path = config_file(&env);
    assert!(
        init.stderr.contains(&path.display().to_string()),
        "{}",
        init.stderr
    );
    let again = env.run(&["config", "init", "--env", "x"]).await;
    assert_eq!(again.code, 1, "{}", again.all_output());
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
    let check = env.run(&["config", "check"]).await;
    assert_eq!(check.code, 0, "{}", check.all_output());

    // The user annotates the file by hand; every later edit keeps it.
    let text = std::fs::read_to_string(&path).expect("config");
    std::fs::write(
        &path,
        text.replace(
            "[environments.prod]",
            "# The paying one.\n[environments.prod]",
        ),
    )
    .expect("edit");
    for args in [
        vec![
            "env",
            "add",
            "staging",
            "--base-url",
            "https://staging.example.com/",
        ],
        vec!["env", "add", "qa", "--default"],
        vec!["env", "rename", "qa", "preview"],
        vec!["env", "rm", "staging"],
    ] {
        let run = env.run(&args).await;
        assert_eq!(run.code, 0, "{args:?}: {}", run.all_output());
        assert!(
            run.stderr.contains("The previous file is kept as"),
            "{}",
            run.stderr
        );
    }
    let text = std::fs::read_to_string(&path).expect("config");
    assert!(
        text.contains("# The paying one.\n[environments.prod]"),
        "{text}"
    );
    assert!(text.contains("default_environment = \"preview\""), "{text}");
    assert!(text.contains("[environments.preview]"), "{text}");
    assert!(
        !text.contains("staging") && !text.contains("[environments.qa]"),
        "{text}"
    );
    let backup = std::fs::read_to_string(path.with_file_name("config.toml.bak")).expect("backup");
    assert!(
        backup.contains("[environments.staging]"),
        "the file before the last edit: {backup}"
    );

    let list = env.run(&["env", "list", "--format", "json"]).await;
    assert_eq!(list.code, 0, "{}", list.all_output());
    let view = list.json();
    let names: Vec<&str> = view["environments"]
        .as_array()
        .expect("environments")
        .iter()
        .filter_map(|e| e["name"].as_str())
        .collect();
    assert_eq!(names, ["prod", "preview"]);
    assert_eq!(view["environments"][1]["default"], true);
    assert_eq!(
        view["environments"][0]["baseUrl"],
        "https://app.example.com/"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invalid_value_or_name_is_refused_with_its_reason_and_nothing_is_written() {
    let env = TestEnv::new();
    let init = env.run(&["config", "init", "--env", "prod"]).await;
    assert_eq!(init.code, 0, "{}", init.all_output());
    let path = config_file(&env);
    let before = std::fs::read(&path).expect("config");

    let bad_url = env
        .run(&["env", "add", "qa", "--base-url", "not a url"])
        .await;
    assert_ne!(bad_url.code, 0, "{}", bad_url.all_output());
    assert!(
        bad_url.stderr.contains("not saved") && bad_url.stderr.contains("base_url"),
        "{}",
        bad_url.stderr
    );
    let bad_name = env.run(&["env", "add", "my prod"]).await;
    assert_eq!(bad_name.code, 2, "{}", bad_name.all_output());
    assert!(
        bad_name.stderr.contains("not an environment name"),
        "{}",
        bad_name.stderr
    );
    let missing = env.run(&["env", "rm", "qa"]).await;
    assert_eq!(missing.code, 2, "{}", missing.all_output());
    assert!(
        missing.stderr.contains("no environment named qa"),
        "{}",
        missing.stderr
    );
    assert_eq!(
        std::fs::read(&path).expect("config"),
        before,
        "nothing written"
    );
    assert!(!path.with_file_name("config.toml.bak").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn test_connection_runs_one_source_on_the_forms_values_and_saves_nothing() {
    use axum::routing::get;
    use axum::{Json, Router};
    use readyroom_tests::serving;
    use readyroom_tests::targets::{refusing_port, serve_http};
    use serde_json::json;

    let app =
        serve_http(Router::new().route("/health", get(|| async { Json(json!({"status": "ok"})) })));
    let env = TestEnv::new();
    let text = format!("# ours\n[environments.prod]\nhealth_urls = [\"http://{app}/health\"]\n");
    let config = env.config(&text);
    let config = config.to_str().expect("utf8").to_string();
    let serve = serving::start(&env, &["--config", &config, "serve"]).await;

    let saved = serve
        .rpc(
            "test_connection",
            json!({"environment": "prod", "source": "health"}),
        )
        .await;
    assert_eq!(saved["ok"], true, "{saved}");
    assert!(
        saved["target"]
            .as_str()
            .is_some_and(|t| t.contains(&app.to_string())),
        "{saved}"
    );

    // A form not saved yet: a new environment whose health URL refuses.
    let dead = format!("http://127.0.0.1:{}/health", refusing_port());
    let unsaved = serve
        .rpc(
            "test_connection",
            json!({"environment": "new", "source": "health", "edits": [
                {"op": "addEnvironment", "name": "new"},
                {"op": "set", "environment": "new", "key": "health_urls", "value": [dead]},
            ]}),
        )
        .await;
    assert_eq!(unsaved["ok"], false, "{unsaved}");
    assert!(
        unsaved["target"].as_str().is_some_and(|t| t == dead)
            && unsaved["message"].as_str().is_some_and(|m| !m.is_empty()),
        "the form's URL was probed, and why it failed is said: {unsaved}"
    );
    let nothing = serve
        .rpc(
            "test_connection",
            json!({"environment": "prod", "source": "postgres"}),
        )
        .await;
    assert_eq!(nothing["ok"], false);
    assert!(
        nothing["message"]
            .as_str()
            .is_some_and(|m| m.contains("nothing to test")),
        "{nothing}"
    );
    let unknown = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{}/api/rpc", serve.port))
        .header("authorization", format!("Bearer {}", serve.token))
        .json(
            &json!({"cmd": "test_connection", "payload": {"environment": "prod", "source": "ftp"}}),
        )
        .send()
        .await
        .expect("rpc");
    assert_eq!(unknown.status(), 400);
    let problem: serde_json::Value = unknown.json().await.expect("problem json");
    assert!(problem.to_string().contains("one of: health"), "{problem}");
    assert_eq!(
        std::fs::read_to_string(&config).expect("config"),
        text,
        "testing saves nothing"
    );
    serve.interrupt();
    serve.exited(std::time::Instant::now()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn test_connection_reads_the_quota_source_and_the_tempo_the_form_names() {
    use axum::routing::get;
    use axum::{Json, Router};
    use readyroom_tests::serving;
    use readyroom_tests::targets::{refusing_port, serve_http};
    use serde_json::json;

    let now = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .expect("now");
    let row = json!({"workspace_id": "ws_1", "workspace_name": "One", "tier": "free", "window": "day",
        "window_start": now, "requests": 5, "ai_calls": 0, "ai_tokens": 0, "throttled": 0});
    // A usage endpoint in the quota data contract, and Tempo's search API
    // as its documentation gives it (a contract server: Tempo cannot run here).
    let app = serve_http(
        Router::new()
            .route("/usage", get(move || async move { Json(json!([row])) }))
            .route("/api/search", get(|| async { Json(json!({"traces": []})) })),
    );
    let env = TestEnv::new();
    let text = format!(
        "[environments.prod]\n\n[environments.prod.quota]\nsource = \"http\"\nusage_url = \"http://{app}/usage\"\n"
    );
    let config = env.config(&text);
    let config = config.to_str().expect("utf8").to_string();
    let serve = serving::start(&env, &["--config", &config, "serve"]).await;

    let quota = serve
        .rpc(
            "test_connection",
            json!({"environment": "prod", "source": "quota"}),
        )
        .await;
    assert_eq!(quota["ok"], true, "{quota}");
    assert!(
        quota["message"]
            .as_str()
            .is_some_and(|m| m.contains("usage of 1 tier(s)")),
        "{quota}"
    );

    // Tempo named only in the form, not saved: it is the one read.
    let tempo = |url: String| {
        json!({"environment": "prod", "source": "traces", "edits": [
            {"op": "set", "environment": "prod", "section": "traces", "key": "tempo_url", "value": url},
        ]})
    };
    let answered = serve
        .rpc("test_connection", tempo(format!("http://{app}")))
        .await;
    assert_eq!(answered["ok"], true, "{answered}");
    assert!(
        answered["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("Tempo answered in")),
        "{answered}"
    );
    let dead = serve
        .rpc(
            "test_connection",
            tempo(format!("http://127.0.0.1:{}", refusing_port())),
        )
        .await;
    assert_eq!(dead["ok"], false, "{dead}");
    assert!(
        dead["message"]
            .as_str()
            .is_some_and(|m| m.contains("did not answer")),
        "why it failed is said: {dead}"
    );
    // A form with a problem is not tested; what to fix is said.
    let invalid = serve
        .rpc("test_connection", tempo("ftp://tempo.example.com".into()))
        .await;
    assert_eq!(invalid["ok"], false, "{invalid}");
    assert!(
        invalid["message"].as_str().is_some_and(|m| m.starts_with(
            "not tested: fix the form's 1 problem(s) first: environments.prod.traces.tempo_url"
        )),
        "{invalid}"
    );
    let none = serve
        .rpc(
            "test_connection",
            json!({"environment": "prod", "source": "traces"}),
        )
        .await;
    assert_eq!(none["ok"], false);
    assert!(
        none["message"]
            .as_str()
            .is_some_and(|m| m.contains("nothing to test")),
        "{none}"
    );
    assert_eq!(
        std::fs::read_to_string(&config).expect("config"),
        text,
        "testing saves nothing"
    );
    serve.interrupt();
}
