//! A rollback interrupted at each step, through the real binary against
//! Vercel's contract server (`vercel_contract`): the credential missing,
//! the provider down, the provider slow past the timeout, the process
//! killed between the intent and the result. Each leaves a truthful audit
//! log (never no entry, never a false "done"), and the next read of the
//! environment's deployments reconciles what was left unknown.

use std::time::{Duration, Instant};

use axum::routing::get;
use axum::{Json, Router};
use readyroom_tests::targets::{closed_port, serve_http};
use readyroom_tests::{serving, TestEnv};
use serde_json::{json, Value};

use super::vercel_contract::{Contract, TOKEN};

fn healthy_app() -> std::net::SocketAddr {
    serve_http(Router::new().route(
        "/health",
        get(|| async { Json(json!({"status": "ok", "checks": {"database": "ok"}})) }),
    ))
}

fn config(api_port: u16, timeout_ms: u64) -> String {
    let app = healthy_app();
    format!(
        "[environments.prod]\nhealth_urls = [\"http://{app}/health\"]\n\n\
         [environments.prod.deploy]\nprovider = \"vercel\"\nurl = \"http://127.0.0.1:{api_port}\"\n\
         project_id = \"prj_readyroom\"\nteam_id = \"team_ops\"\ntoken_secret = \"prod/vercel\"\n\
         timeout_ms = {timeout_ms}\nverify_timeout_ms = 2000\nverify_every_ms = 250\n"
    )
}

struct Setup {
    env: TestEnv,
    config: String,
}

impl Setup {
    fn new(api_port: u16, timeout_ms: u64, token: bool) -> Setup {
        let mut env = TestEnv::new();
        if token {
            env.set_env("READYROOM_SECRET_PROD_VERCEL", TOKEN);
        }
        let config = env
            .config(&config(api_port, timeout_ms))
            .to_str()
            .expect("utf8")
            .to_string();
        Setup { env, config }
    }

    async fn run(&self, args: &[&str]) -> readyroom_tests::Run {
        let mut all = vec!["--config", self.config.as_str()];
        all.extend(args);
        self.env.run(&all).await
    }

    async fn rollback(&self) -> readyroom_tests::Run {
        self.run(&[
            "rollback",
            "dpl_10",
            "--reason",
            "bad release",
            "--confirm",
            "prod",
            "--format",
            "json",
        ])
        .await
    }

    /// The audit log, oldest first, as (phase, result, detail).
    async fn audit(&self) -> (Value, Vec<(String, String, String)>) {
        let run = self.run(&["audit", "--format", "json"]).await;
        assert_eq!(run.code, 0, "the chain verifies: {}", run.all_output());
        assert!(!run.all_output().contains(TOKEN));
        let view = run.json();
        let rows = view["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .rev()
            .map(|e| {
                let phase = if e["outcomeUnknown"] == true {
                    "unknown".to_string()
                } else {
                    e["phase"].as_str().unwrap_or("").to_string()
                };
                (
                    phase,
                    e["result"].as_str().unwrap_or("").to_string(),
                    e["detail"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        (view, rows)
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_credential_is_refused_at_preflight_sends_nothing_and_is_audited() {
    let contract = Contract::new();
    let addr = contract.serve();
    let s = Setup::new(addr.port(), 5_000, false);
    let run = s.rollback().await;
    assert_eq!(run.code, 1, "{}", run.all_output());
    let outcome = run.json();
    assert_eq!(outcome["result"], "notDone");
    let message = outcome["message"].as_str().expect("message");
    assert!(
        message.contains("credential") && message.contains("readyroom secret set prod/vercel"),
        "{message}"
    );
    assert!(contract.seen().is_empty(), "nothing reached the provider");
    let (_, rows) = s.audit().await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(
        (rows[0].0.as_str(), rows[1].0.as_str(), rows[1].1.as_str()),
        ("intent", "outcome", "notDone")
    );
    assert!(
        rows[1].2.contains("not sent: the pre-flight failed"),
        "{rows:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provider_that_is_down_leaves_a_not_done_entry() {
    let s = Setup::new(closed_port(), 2_000, true);
    let run = s.rollback().await;
    assert_eq!(run.code, 1, "{}", run.all_output());
    assert!(
        run.json()["message"]
            .as_str()
            .expect("message")
            .contains("did not answer"),
        "{}",
        run.stdout
    );
    let (_, rows) = s.audit().await;
    assert_eq!(
        rows.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(),
        ["intent", "outcome"]
    );
    assert_eq!(rows[1].1, "notDone");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provider_slow_past_the_timeout_is_read_again_to_settle_what_happened() {
    let contract = Contract::new();
    *contract.hang_writes.lock().expect("lock") = true;
    let addr = contract.serve();
    let s = Setup::new(addr.port(), 1_500, true);
    let run = s.rollback().await;
    // Vercel took the rollback and never answered; reading it again shows
    // dpl_10 serving, so the rollback is done, and verified.
    assert_eq!(run.code, 0, "{}", run.all_output());
    let outcome = run.json();
    assert_eq!(outcome["result"], "done");
    let message = outcome["message"].as_str().expect("message");
    assert!(
        message.contains("answer was lost") && message.contains("read again"),
        "{message}"
    );
    assert_eq!(outcome["verification"]["outcome"]["outcome"], "healthy");
    let posts = contract
        .seen()
        .iter()
        .filter(|r| r.method == "POST")
        .count();
    assert_eq!(posts, 1, "never sent twice");
    let (_, rows) = s.audit().await;
    let phases: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(phases, ["intent", "outcome", "verification"]);
    assert_eq!(rows[1].1, "done");
}

/// Sends a rollback the provider takes and never answers, kills the
/// process while it waits, and checks the log says "outcome unknown".
async fn killed_mid_rollback() -> (std::sync::Arc<Contract>, Setup) {
    let contract = Contract::new();
    *contract.hang_writes.lock().expect("lock") = true;
    let addr = contract.serve();
    let s = Setup::new(addr.port(), 60_000, true);
    let mut child = s.env.spawn(&[
        "--config",
        &s.config,
        "rollback",
        "dpl_10",
        "--reason",
        "bad release",
        "--confirm",
        "prod",
    ]);
    let since = Instant::now();
    while !contract.seen().iter().any(|r| r.method == "POST") {
        assert!(
            since.elapsed() < Duration::from_secs(30),
            "the rollback never reached the provider"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.kill().await.expect("killed");
    let (_, rows) = s.audit().await;
    assert_eq!(
        rows.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(),
        ["unknown"],
        "{rows:?}"
    );
    *contract.hang_writes.lock().expect("lock") = false;
    (contract, s)
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_between_intent_and_result_leaves_outcome_unknown_until_the_next_read_reconciles_it()
{
    let (_contract, s) = killed_mid_rollback().await;
    // The next look at the deployments settles it from what Vercel shows.
    let deploys = s.run(&["deploys", "--format", "json"]).await;
    assert_eq!(deploys.code, 0, "{}", deploys.all_output());
    let reconciled = deploys.json()["reconciled"].clone();
    assert!(
        reconciled[0].as_str().expect("one").contains("took effect"),
        "{reconciled}"
    );
    let (view, rows) = s.audit().await;
    assert_eq!(
        rows.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(),
        ["intent", "outcome"]
    );
    assert_eq!(rows[1].1, "done");
    assert_eq!(view["entries"][0]["deploy"]["reconciled"], true);
    // Settled once: another read writes nothing more.
    let again = s.run(&["deploys", "--format", "json"]).await;
    assert_eq!(again.json()["reconciled"], json!([]));
    assert_eq!(s.audit().await.1.len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_between_intent_and_result_is_reconciled_when_serve_starts_without_a_read() {
    let (contract, s) = killed_mid_rollback().await;
    let reads_before = contract.seen().len();
    let serve = serving::start(&s.env, &["--config", &s.config, "serve"]).await;
    let log = serve
        .rpc_until(
            "get_audit_log",
            json!({}),
            "the interrupted rollback settled at start",
            |log| log["entries"].as_array().is_some_and(|e| e.len() == 2),
        )
        .await;
    assert_eq!(log["entries"][0]["result"], "done", "{log}");
    assert_eq!(log["entries"][0]["deploy"]["reconciled"], true, "{log}");
    assert!(
        log["entries"][0]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("took effect")),
        "{log}"
    );
    // It read the provider (the project, the deployments) and sent nothing.
    let after: Vec<_> = contract.seen().into_iter().skip(reads_before).collect();
    assert!(!after.is_empty() && after.iter().all(|r| r.method == "GET"));
    serve.interrupt();
    serve.exited(Instant::now()).await;
}
