//! Benchmark: a rollback through the real binary against Vercel's contract
//! server (built from Vercel's documentation; the same one the tests use),
//! with a health URL that turns healthy a chosen time after the rollback
//! reaches the provider.
//!
//! Claims measured (issue #13):
//! - from "Roll back" to the provider call, no more than one round trip to
//!   the provider beyond the pre-flight's: the requests the provider sees
//!   before the POST are counted (Vercel's listing is two GETs sent at
//!   once, one round trip), and the time from start to the POST is timed;
//! - verification reports within one health poll interval of the service
//!   turning healthy: the lag from the turn to the first healthy answer
//!   served, and to the command's exit (the report), over turns spread
//!   across the poll's phase.
//!
//! Run: `cargo bench -p readyroom-tests --bench rollback --profile dev`
//! (optionally `-- --iterations N`); the figures are network and poll
//! timing, so no release build of the whole tree is needed.

#[path = "../deploys/vercel_contract.rs"]
#[allow(dead_code)]
mod vercel_contract;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use readyroom_tests::targets::serve_http;
use readyroom_tests::TestEnv;
use serde_json::json;
use vercel_contract::{Contract, TOKEN};

const EVERY_MS: u64 = 1_000;

/// The service: unhealthy until `turn`, then healthy; when it first said so.
#[derive(Default)]
struct Service {
    turn: Mutex<Option<Instant>>,
    first_ok: Mutex<Option<Instant>>,
}

fn health(service: Arc<Service>) -> std::net::SocketAddr {
    serve_http(
        Router::new()
            .route(
                "/health",
                get(|State(s): State<Arc<Service>>| async move {
                    let healthy = s
                        .turn
                        .lock()
                        .expect("lock")
                        .is_some_and(|t| Instant::now() >= t);
                    if healthy {
                        s.first_ok
                            .lock()
                            .expect("lock")
                            .get_or_insert_with(Instant::now);
                        (StatusCode::OK, Json(json!({"status": "ok"})))
                    } else {
                        (
                            StatusCode::SERVICE_UNAVAILABLE,
                            Json(json!({"status": "down"})),
                        )
                    }
                }),
            )
            .with_state(service),
    )
}

struct Measured {
    to_post: Duration,
    before_post: usize,
    gets_before_post: usize,
    served_lag: Duration,
    report_lag: Duration,
}

async fn once(turn_after: Duration) -> Measured {
    let contract = Contract::new();
    let api = contract.serve();
    let service = Arc::new(Service::default());
    let app = health(service.clone());
    let mut env = TestEnv::new();
    env.set_env("READYROOM_SECRET_PROD_VERCEL", TOKEN);
    let config = env.config(&format!(
        "[environments.prod]\nhealth_urls = [\"http://{app}/health\"]\n\n\
         [environments.prod.deploy]\nprovider = \"vercel\"\nurl = \"http://{api}\"\n\
         project_id = \"prj_readyroom\"\nteam_id = \"team_ops\"\ntoken_secret = \"prod/vercel\"\n\
         verify_timeout_ms = 60000\nverify_every_ms = {EVERY_MS}\n"
    ));
    let config = config.to_str().expect("utf8").to_string();
    let started = Instant::now();
    let mut child = env.spawn(&[
        "--config",
        &config,
        "rollback",
        "dpl_10",
        "--reason",
        "bench",
        "--confirm",
        "prod",
        "--format",
        "json",
    ]);
    // Watch for the POST (1 ms resolution), then schedule the turn.
    let posted = loop {
        if contract.seen().iter().any(|r| r.method == "POST") {
            break Instant::now();
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the rollback never reached the provider"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    };
    let turn = posted + turn_after;
    *service.turn.lock().expect("lock") = Some(turn);
    let status = child.wait().await.expect("wait");
    let exited = Instant::now();
    assert!(
        status.success(),
        "the rollback was done and verified healthy"
    );
    let seen = contract.seen();
    let post_at = seen
        .iter()
        .position(|r| r.method == "POST")
        .expect("a POST");
    let first_ok = service
        .first_ok
        .lock()
        .expect("lock")
        .expect("it answered healthy");
    Measured {
        to_post: posted - started,
        before_post: post_at,
        gets_before_post: seen[..post_at].iter().filter(|r| r.method == "GET").count(),
        served_lag: first_ok.saturating_duration_since(turn),
        report_lag: exited.saturating_duration_since(turn),
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let iterations: usize = std::env::args()
        .skip_while(|a| a != "--iterations")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(8);
    // Warm the binary (a first run may relink it).
    TestEnv::new().run(&["--version"]).await;
    let mut all = Vec::new();
    for i in 0..iterations {
        // Turns spread over the poll's phase: 1.5 s + i × 0.29 s.
        let turn_after = Duration::from_millis(1_500 + 290 * i as u64);
        let m = once(turn_after).await;
        println!(
            "run {i}: start→POST {:.0} ms ({} requests before it, {} GETs); turned healthy {:.2} s after the POST; first healthy answer {:.0} ms after the turn; reported {:.0} ms after",
            ms(m.to_post),
            m.before_post,
            m.gets_before_post,
            turn_after.as_secs_f64(),
            ms(m.served_lag),
            ms(m.report_lag)
        );
        all.push(m);
    }
    let max = |f: fn(&Measured) -> Duration| all.iter().map(f).max().unwrap_or_default();
    let mut to_post: Vec<Duration> = all.iter().map(|m| m.to_post).collect();
    to_post.sort();
    println!(
        "\nrequests before the POST: {:?} (Vercel's listing: GET project + GET deployments, sent together: one round trip)",
        all.iter().map(|m| m.before_post).collect::<Vec<_>>()
    );
    println!(
        "start→POST median {:.0} ms, max {:.0} ms",
        ms(to_post[to_post.len() / 2]),
        ms(max(|m| m.to_post))
    );
    println!(
        "poll interval {EVERY_MS} ms; first healthy answer after the turn: max {:.0} ms; report (exit) after the turn: max {:.0} ms",
        ms(max(|m| m.served_lag)),
        ms(max(|m| m.report_lag))
    );
}
