//! The webhook provider through the real binary against a local server
//! (a CI's workflow dispatch, as a team would point it at): the filled
//! template, the secret header, the status URL followed to the end, a
//! failed job, a refused secret, a status URL that dies, and the undo.

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use readyroom_tests::targets::serve_http;
use readyroom_tests::TestEnv;
use serde_json::{json, Value};

const SECRET: &str = "whk-9f8e7d6c5b4a-secret";

/// Header names (lower-case) and values.
type Headers = Vec<(String, String)>;

#[derive(Default)]
struct Hook {
    /// Each POST: its headers (lower-case names) and JSON body.
    posts: Mutex<Vec<(Headers, Value)>>,
    /// Each status read's headers.
    reads: Mutex<Vec<Headers>>,
    /// What the status URL answers, in turn (the last one repeats).
    statuses: Mutex<Vec<(u16, Value)>>,
    /// What the POST answers.
    post_status: Mutex<u16>,
}

fn headers(h: &HeaderMap) -> Headers {
    h.iter()
        .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
        .collect()
}

impl Hook {
    fn new(statuses: Vec<(u16, Value)>) -> Arc<Hook> {
        let hook = Hook::default();
        *hook.statuses.lock().expect("lock") = statuses;
        *hook.post_status.lock().expect("lock") = 204;
        Arc::new(hook)
    }

    fn serve(self: &Arc<Self>) -> std::net::SocketAddr {
        let app = Router::new()
            .route(
                "/dispatch",
                post(
                    |State(hook): State<Arc<Hook>>, h: HeaderMap, Json(body): Json<Value>| async move {
                        hook.posts.lock().expect("lock").push((headers(&h), body));
                        StatusCode::from_u16(*hook.post_status.lock().expect("lock"))
                            .expect("status")
                    },
                ),
            )
            .route(
                "/runs/latest",
                get(|State(hook): State<Arc<Hook>>, h: HeaderMap| async move {
                    hook.reads.lock().expect("lock").push(headers(&h));
                    let mut statuses = hook.statuses.lock().expect("lock");
                    let (code, body) = if statuses.len() > 1 {
                        statuses.remove(0)
                    } else {
                        statuses.first().cloned().unwrap_or((200, json!({})))
                    };
                    (StatusCode::from_u16(code).expect("status"), Json(body))
                }),
            )
            .route(
                "/health",
                get(|| async { Json(json!({"status": "ok", "checks": {"database": "ok"}})) }),
            )
            .with_state(self.clone());
        serve_http(app)
    }

    fn posts(&self) -> Vec<(Headers, Value)> {
        self.posts.lock().expect("lock").clone()
    }
}

fn header<'a>(headers: &'a Headers, name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

struct Setup {
    env: TestEnv,
    config: String,
}

impl Setup {
    fn new(addr: std::net::SocketAddr, extra: &str) -> Setup {
        let mut env = TestEnv::new();
        env.set_env("READYROOM_SECRET_PROD_HOOK", SECRET);
        let text = format!(
            "[environments.prod]\nhealth_urls = [\"http://{addr}/health\"]\n\n\
             [environments.prod.deploy]\nprovider = \"webhook\"\nurl = \"http://{addr}/dispatch\"\n\
             token_secret = \"prod/hook\"\nverify_timeout_ms = 3000\nverify_every_ms = 250\n{extra}"
        );
        let config = env.config(&text).to_str().expect("utf8").to_string();
        Setup { env, config }
    }

    /// `readyroom rollback ARGS --confirm prod --format json`.
    async fn rollback(&self, args: &[&str]) -> readyroom_tests::Run {
        let mut all = vec!["--config", self.config.as_str(), "rollback"];
        all.extend(args);
        all.extend(["--confirm", "prod", "--format", "json"]);
        let run = self.env.run(&all).await;
        assert!(
            !run.all_output().contains(SECRET),
            "the secret never shows: {}",
            run.all_output()
        );
        run
    }

    async fn audit(&self) -> Vec<Value> {
        let entries = self.env.audit_entries(&self.config).await;
        let all = Value::from(entries.clone()).to_string();
        assert!(!all.contains(SECRET), "the secret is not in the audit log");
        entries
    }
}

const TEMPLATE: &str = r#"body = '{"ref": "main", "inputs": {"to": "{{target}}", "from": "{{from}}", "reason": "{{reason}}", "by": "{{operator}}", "env": "{{environment}}", "action": "{{action}}"}}'
secret_header = "X-Deploy-Key"
"#;

#[tokio::test(flavor = "multi_thread")]
async fn webhook_posts_the_filled_template_with_its_secret_header_follows_the_status_and_undoes() {
    let hook = Hook::new(vec![
        (200, json!({"status": "queued"})),
        (200, json!({"status": "in_progress"})),
        (200, json!({"status": "completed", "conclusion": "success"})),
    ]);
    let addr = hook.serve();
    let s = Setup::new(
        addr,
        &format!("{TEMPLATE}status_url = \"http://{addr}/runs/latest\"\n"),
    );
    let reason = r#"2.15 "fast path" {{operator}} leaks connections"#;
    let run = s.rollback(&["v41", "--reason", reason]).await;
    assert_eq!(run.code, 0, "{}", run.all_output());
    let outcome = run.json();
    assert_eq!(outcome["result"], "done");
    let message = outcome["message"].as_str().expect("message");
    assert!(
        message.contains("the webhook accepted it (HTTP 204)")
            && message.contains("its status URL said \"success\""),
        "{message}"
    );
    assert_eq!(outcome["verification"]["outcome"]["outcome"], "healthy");

    let posts = hook.posts();
    assert_eq!(posts.len(), 1, "one POST");
    let (h, body) = &posts[0];
    assert_eq!(header(h, "x-deploy-key"), Some(SECRET));
    assert_eq!(header(h, "authorization"), None);
    assert_eq!(header(h, "content-type"), Some("application/json"));
    // The reason arrives as typed: quotes kept, its {{operator}} not filled.
    assert_eq!(
        body,
        &json!({"ref": "main", "inputs": {
            "to": "v41", "from": "", "reason": reason,
            "by": body["inputs"]["by"], "env": "prod", "action": "rollback"
        }})
    );
    assert!(
        body["inputs"]["by"]
            .as_str()
            .is_some_and(|b| b.contains('@')),
        "{body}"
    );
    let reads = hook.reads.lock().expect("lock").clone();
    assert_eq!(reads.len(), 3, "read until it ended");
    assert!(reads
        .iter()
        .all(|h| header(h, "x-deploy-key") == Some(SECRET)));

    let entries = s.audit().await;
    let phases: Vec<&str> = entries
        .iter()
        .map(|e| e["phase"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(phases, ["intent", "outcome", "verification"]);
    assert_eq!(entries[1]["deploy"]["to"], "v41");
    assert_eq!(entries[1]["deploy"]["providerStatus"], 204);

    // Undo: the same hook, told undo_rollback; the second is refused.
    let run = s.rollback(&["--undo", "--reason", "fixed forward"]).await;
    assert_eq!(run.code, 0, "{}", run.all_output());
    let posts = hook.posts();
    assert_eq!(posts.len(), 2);
    assert_eq!(posts[1].1["inputs"]["action"], "undo_rollback");
    assert_eq!(posts[1].1["inputs"]["to"], "");
    let entries = s.audit().await;
    let undo = entries
        .iter()
        .find(|e| e["action"] == "undo_rollback")
        .expect("the undo's intent");
    assert!(
        undo["target"]
            .as_str()
            .is_some_and(|t| t.contains("what the last rollback replaced")),
        "{undo}"
    );
    let again = s.rollback(&["--undo", "--reason", "twice"]).await;
    assert_eq!(again.code, 1, "{}", again.all_output());
    assert!(
        again.json()["message"]
            .as_str()
            .is_some_and(|m| m.contains("already undone")),
        "{}",
        again.stdout
    );
    assert_eq!(hook.posts().len(), 2, "nothing sent for the refused undo");
}

#[tokio::test(flavor = "multi_thread")]
async fn webhook_sends_a_bearer_by_default_and_a_failed_job_is_not_done_in_its_own_words() {
    let hook = Hook::new(vec![(200, json!({"status": "failure"}))]);
    let addr = hook.serve();
    let s = Setup::new(
        addr,
        &format!("status_url = \"http://{addr}/runs/latest\"\n"),
    );
    let run = s.rollback(&["--reason", "bad release"]).await;
    assert_eq!(run.code, 1, "{}", run.all_output());
    let outcome = run.json();
    assert_eq!(outcome["result"], "notDone");
    let message = outcome["message"].as_str().expect("message");
    assert!(
        message.contains("the webhook's job reports failure")
            && message.contains("\"failure\"")
            && !message.contains("production is unchanged"),
        "{message}"
    );
    let posts = hook.posts();
    let (h, body) = &posts[0];
    assert_eq!(
        header(h, "authorization"),
        Some(format!("Bearer {SECRET}").as_str())
    );
    // The default body names every placeholder; no target was given.
    assert_eq!(body["action"], "rollback");
    assert_eq!(body["environment"], "prod");
    assert_eq!(body["target"], "");
    assert_eq!(body["reason"], "bad release");
}

#[tokio::test(flavor = "multi_thread")]
async fn webhook_refusing_the_secret_is_not_done_and_a_status_url_that_fails_leaves_outcome_unknown(
) {
    let hook = Hook::new(vec![(500, json!({"error": "boom"}))]);
    *hook.post_status.lock().expect("lock") = 401;
    let addr = hook.serve();
    let s = Setup::new(
        addr,
        &format!("status_url = \"http://{addr}/runs/latest\"\n"),
    );
    let args = ["--reason", "bad release"];
    let refused = s.rollback(&args).await;
    assert_eq!(refused.code, 1, "{}", refused.all_output());
    assert_eq!(refused.json()["result"], "notDone");
    assert!(
        refused.json()["message"]
            .as_str()
            .is_some_and(|m| m.contains("refused the token (HTTP 401)")),
        "{}",
        refused.stdout
    );

    // Accepted, then the status URL fails: production may have moved, and
    // a webhook cannot be read back, so the log says "outcome unknown".
    *hook.post_status.lock().expect("lock") = 202;
    let lost = s.rollback(&args).await;
    assert_eq!(lost.code, 1, "{}", lost.all_output());
    let outcome = lost.json();
    assert!(outcome["result"].is_null(), "{outcome}");
    let message = outcome["message"].as_str().expect("message");
    assert!(
        message.contains("accepted it (HTTP 202)") && message.contains("outcome unknown"),
        "{message}"
    );
    let entries = s.audit().await;
    let last = entries.last().expect("entries");
    assert_eq!(last["phase"], "intent");
    assert_eq!(last["outcomeUnknown"], true, "{last}");
}
