//! The local store under stress from outside: locked by another process,
//! replaced by a file that is not a store, opened by two processes at once.
//! A run is never lost, and production is not probed for a run that could
//! not be kept.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;
use axum::{Json, Router};
use readyroom_tests::{targets, TestEnv};
use serde_json::json;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

/// A health endpoint that counts the requests it gets.
fn counting_health(hits: Arc<AtomicUsize>) -> Router {
    Router::new().route(
        "/health",
        get(move || {
            hits.fetch_add(1, Ordering::SeqCst);
            async { Json(json!({"status": "ok"})) }
        }),
    )
}

fn setup(env: &TestEnv) -> (Arc<AtomicUsize>, String) {
    let hits = Arc::new(AtomicUsize::new(0));
    let addr = targets::serve_http(counting_health(hits.clone()));
    let config = env.config(&format!(
        "[environments.prod]\nhealth_urls = [\"http://{addr}/health\"]\n"
    ));
    (hits, config.to_str().expect("utf8").to_string())
}

async fn stored_runs(env: &TestEnv) -> usize {
    let history = env.run(&["history", "--format", "json"]).await;
    assert_eq!(history.code, 0, "{}", history.all_output());
    history.json().as_array().map_or(0, Vec::len)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_store_locked_by_another_process_for_ten_seconds_costs_a_wait_not_the_run() {
    let env = TestEnv::new();
    let (hits, config) = setup(&env);
    let first = env.score_json(&config).await;
    assert_eq!(first.code, 0, "{}", first.all_output());
    // Hold the store's write lock as another program would.
    let mut other = SqliteConnectOptions::new()
        .filename(env.data_dir().join("readyroom.db"))
        .connect()
        .await
        .expect("open the store");
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut other)
        .await
        .expect("take the write lock");
    let release = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(10)).await;
        sqlx::query("ROLLBACK")
            .execute(&mut other)
            .await
            .expect("release");
        other.close().await.expect("close");
    });
    let second = env.score_json(&config).await;
    release.await.expect("released");
    assert_eq!(second.code, 0, "{}", second.all_output());
    assert_eq!(stored_runs(&env).await, 2, "both runs are kept");
    assert_eq!(hits.load(Ordering::SeqCst), 2, "one probe per run");
}

#[tokio::test(flavor = "multi_thread")]
async fn production_is_not_probed_when_the_run_could_not_be_saved() {
    let env = TestEnv::new();
    let (hits, config) = setup(&env);
    std::fs::create_dir_all(env.data_dir()).expect("data dir");
    let notes = "not a database\n".repeat(50);
    std::fs::write(env.data_dir().join("readyroom.db"), &notes).expect("write");
    let run = env.score_json(&config).await;
    assert_ne!(run.code, 0, "{}", run.all_output());
    assert!(
        run.stderr
            .contains("is not a Readyroom store (it is not an SQLite database)"),
        "{}",
        run.stderr
    );
    assert_eq!(hits.load(Ordering::SeqCst), 0, "production was not probed");
    assert_eq!(
        std::fs::read_to_string(env.data_dir().join("readyroom.db")).expect("read"),
        notes,
        "the file is left as it was"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn two_processes_opening_a_fresh_store_at_once_both_save_their_run() {
    for _ in 0..3 {
        let env = TestEnv::new();
        let (_, config) = setup(&env);
        let (a, b) = tokio::join!(env.score_json(&config), env.score_json(&config));
        assert_eq!(a.code, 0, "{}", a.all_output());
        assert_eq!(b.code, 0, "{}", b.all_output());
        assert_eq!(stored_runs(&env).await, 2);
    }
}
