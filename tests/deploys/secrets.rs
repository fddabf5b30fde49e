//! The deploy token, stored in the real keychain (Secret Service under
//! dbus-run-session) with `readyroom secret set`, is used (Vercel's
//! contract server sees it) and shows nowhere else: not in trace-level
//! logs, errors, the audit log, the CLI's output, the HTTP API the UI
//! reads, or any file Readyroom writes.

use std::path::Path;
use std::time::Instant;

use axum::routing::get;
use axum::{Json, Router};
use readyroom_tests::serving;
use readyroom_tests::targets::serve_http;
use readyroom_tests::{holds, TestEnv};
use serde_json::json;

use super::vercel_contract::{Contract, TOKEN};

/// Every file under `dir`, as bytes, with its path.
fn files(dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((path.display().to_string(), bytes));
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_keychain_token_is_used_and_never_shown_in_logs_errors_audit_output_api_or_files() {
    let contract = Contract::new();
    let api = contract.serve();
    let app = serve_http(Router::new().route(
        "/health",
        get(|| async { Json(json!({"status": "ok", "checks": {"database": "ok"}})) }),
    ));
    let entry = format!("test-{:08x}/vercel-token", rand::random::<u32>());
    let mut env = TestEnv::new();
    env.set_env("READYROOM_LOG", "trace");
    let Some(set) = env.keychain_set(&entry, TOKEN).await else {
        return;
    };
    let config = env.config(&format!(
        "[environments.prod]\nhealth_urls = [\"http://{app}/health\"]\n\n\
         [environments.prod.deploy]\nprovider = \"vercel\"\nurl = \"http://{api}\"\n\
         project_id = \"prj_readyroom\"\nteam_id = \"team_ops\"\ntoken_secret = \"{entry}\"\n\
         verify_timeout_ms = 2000\nverify_every_ms = 250\n"
    ));
    let config = config.to_str().expect("utf8").to_string();
    let mut outputs = vec![set.all_output()];
    let run = |args: Vec<&'static str>| {
        let env = &env;
        let config = config.clone();
        async move {
            let mut all = vec!["--config", config.as_str()];
            all.extend(args);
            env.run(&all).await
        }
    };
    let rollback = |extra: &'static str| -> Vec<&'static str> {
        let mut args = vec!["rollback", "--reason", "bad release", "--confirm", "prod"];
        args.extend(extra.split_whitespace());
        args
    };

    let deploys = run(vec!["deploys", "--format", "json"]).await;
    assert_eq!(deploys.code, 0, "{}", deploys.all_output());
    assert!(
        deploys.stderr.contains("TRACE"),
        "the logs are at trace level: {}",
        deploys
            .stderr
            .lines()
            .take(5)
            .collect::<Vec<_>>()
            .join("\n")
    );
    outputs.push(deploys.all_output());
    for args in [
        vec!["deploys"],
        rollback("dpl_10 --dry-run"),
        rollback("dpl_10 --format json"),
        rollback("--undo"),
    ] {
        let r = run(args.clone()).await;
        assert_eq!(r.code, 0, "{args:?}: {}", r.all_output());
        outputs.push(r.all_output());
    }
    // Errors: the token refused, then the provider failing.
    contract.force(401, None);
    let refused = run(rollback("dpl_10")).await;
    assert_eq!(refused.code, 1, "{}", refused.all_output());
    assert!(
        refused.all_output().contains("HTTP 401"),
        "{}",
        refused.all_output()
    );
    outputs.push(refused.all_output());
    contract.force(500, None);
    outputs.push(run(vec!["deploys"]).await.all_output());
    for args in [
        vec!["audit"],
        vec!["audit", "--format", "json"],
        vec!["secret", "list", "--format", "json"],
        vec!["config", "check"],
    ] {
        outputs.push(run(args).await.all_output());
    }

    // The HTTP API the UI reads, with actions allowed, and serve's logs.
    let serve = serving::start(&env, &["--config", &config, "serve", "--allow-actions"]).await;
    let mut answers = Vec::new();
    for (cmd, payload) in [
        ("list_deploys", json!({"environment": "prod"})),
        (
            "preflight_rollback",
            json!({"environment": "prod", "target": "dpl_10"}),
        ),
        (
            "trigger_rollback",
            json!({"environment": "prod", "target": "dpl_10", "reason": "drill", "confirm": "prod", "dryRun": true}),
        ),
        ("get_audit_log", json!({})),
        ("list_secrets", json!({})),
        ("get_source_status", json!({"environment": "prod"})),
    ] {
        answers.push(serve.rpc(cmd, payload).await.to_string());
    }
    serve.interrupt();
    let stopped = serve.exited(Instant::now()).await;
    outputs.push(stopped.stdout);
    outputs.push(stopped.stderr);
    outputs.extend(answers);

    // It was used: every request to the provider carried it.
    let seen = contract.seen();
    assert!(
        seen.iter().any(|r| r.method == "POST"),
        "a rollback was sent"
    );
    assert!(seen
        .iter()
        .all(|r| r.authorization.as_deref() == Some(&format!("Bearer {TOKEN}"))));
    for out in &outputs {
        assert!(!out.contains(TOKEN), "the token leaked: {out}");
    }
    let mut written = Vec::new();
    files(&env.path(""), &mut written);
    assert!(
        written.iter().any(|(p, _)| p.ends_with("readyroom.db")),
        "the store is among the files read"
    );
    for (path, bytes) in &written {
        assert!(!holds(bytes, TOKEN), "the token is in {path}");
    }
    let rm = env.run(&["secret", "rm", &entry]).await;
    assert_eq!(rm.code, 0, "{}", rm.all_output());
}
