//! Redirects met by the probes that follow them (health, base URL,
//! metrics): followed only on the same host and never from HTTPS to HTTP,
//! and an answer reached through a redirect is never taken as "healthy".

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::response::Redirect;
use axum::routing::get;
use axum::{Json, Router};
use readyroom_tests::{targets, text, TestEnv};
use serde_json::json;

/// A server that counts every request it receives, whatever the path.
fn counting(hits: Arc<AtomicUsize>) -> Router {
    Router::new().fallback(move || {
        hits.fetch_add(1, Ordering::SeqCst);
        async { Json(json!({"status": "ok", "version": "1", "checks": {"db": "ok"}})) }
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_health_url_redirected_to_a_login_page_is_not_healthy() {
    let app = Router::new()
        .route("/health", get(|| async { Redirect::to("/login") }))
        .route(
            "/login",
            get(|| async { Json(json!({"status": "ok", "page": "sign in"})) }),
        );
    let addr = targets::serve_http(app);
    let env = TestEnv::new();
    let config = env.config(&format!(
        "[environments.prod]\nhealth_urls = [\"http://{addr}/health\"]\n"
    ));
    let run = env.score_json(config.to_str().expect("utf8")).await;
    let health = run.check("infra.health_endpoint");
    assert_eq!(health["outcome"], "fail", "{health}");
    let why = text(&health, "explanation");
    assert!(
        why.contains(&format!("redirected to http://{addr}/login")) && why.contains("health_urls"),
        "{why}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn redirects_to_another_host_or_down_to_http_are_not_followed_and_say_so() {
    let hits = Arc::new(AtomicUsize::new(0));
    let pki = targets::pki();
    let other_https = targets::serve_https(counting(hits.clone()), &pki, None);
    let other_http = targets::serve_http(counting(hits.clone()));
    // `localhost` and `127.0.0.1` reach the same socket but are different
    // hosts to a browser and to Readyroom.
    let elsewhere = format!("https://localhost:{}/health", other_https.port());
    let downgrade = format!("http://127.0.0.1:{}/metrics", other_http.port());
    let app = Router::new()
        .route(
            "/health",
            get({
                let to = elsewhere.clone();
                move || async move { Redirect::temporary(&to) }
            }),
        )
        .route(
            "/metrics",
            get({
                let to = downgrade.clone();
                move || async move { Redirect::temporary(&to) }
            }),
        );
    let https = targets::serve_https(app, &pki, None);
    let env = TestEnv::new();
    let ca = env.write("ca.pem", &pki.ca_pem);
    let config = env.config(&format!(
        "[environments.prod]\nca_file = \"{}\"\nhealth_urls = [\"https://127.0.0.1:{port}/health\"]\nmetrics_url = \"https://127.0.0.1:{port}/metrics\"\n",
        ca.display(),
        port = https.port()
    ));
    let run = env.score_json(config.to_str().expect("utf8")).await;

    let health = run.check("infra.health_endpoint");
    assert_eq!(health["outcome"], "fail", "{health}");
    let why = text(&health, "explanation");
    assert!(
        why.contains(&format!("redirects to {elsewhere}")) && why.contains("another host"),
        "{why}"
    );
    let metrics = run.check("obs.metrics_endpoint");
    assert_eq!(metrics["outcome"], "fail", "{metrics}");
    let why = text(&metrics, "explanation");
    assert!(
        why.contains(&format!("redirects to {downgrade}")) && why.contains("from HTTPS to HTTP"),
        "{why}"
    );
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "no request reached the redirect targets"
    );
}
