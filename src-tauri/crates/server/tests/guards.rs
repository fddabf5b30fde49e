//! The server's guards and error shape, in-process (no socket): each guard
//! is tested on its own, with the other guards satisfied, so a test fails
//! if that guard is removed.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use readyroom_api::{Api, Settings};
use readyroom_server::{router, BroadcastSink, ServerState};
use tower::ServiceExt;

const TOKEN: &str = "test-token-0123456789";

fn state(dir: &tempfile::TempDir) -> ServerState {
    std::fs::write(dir.path().join("config.toml"), "[environments.prod]\n").expect("config");
    let events = BroadcastSink::default();
    ServerState {
        api: Api::new(
            Settings {
                config_path: Some(dir.path().join("config.toml")),
                store_path: dir.path().join("readyroom.db"),
            },
            Arc::new(events.clone()),
        ),
        token: TOKEN.into(),
        addr: SocketAddr::from(([127, 0, 0, 1], 4000)),
        events,
    }
}

/// A call with every guard satisfied; tests change one thing.
fn rpc() -> axum::http::request::Builder {
    rpc_to("127.0.0.1:4000")
}

fn rpc_to(host: &str) -> axum::http::request::Builder {
    Request::post("/api/rpc")
        .header(header::HOST, host)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
}

const APP_INFO: &str = r#"{"cmd":"get_app_info","payload":{}}"#;

async fn send(
    dir: &tempfile::TempDir,
    request: Request<Body>,
) -> (StatusCode, Option<String>, serde_json::Value) {
    let response = router(state(dir)).oneshot(request).await.expect("response");
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    (status, content_type, json)
}

#[tokio::test]
async fn a_tokened_same_origin_call_is_answered() {
    let dir = tempfile::tempdir().expect("tempdir");
    let request = rpc()
        .header(header::ORIGIN, "http://127.0.0.1:4000")
        .body(Body::from(APP_INFO))
        .expect("request");
    let (status, _, body) = send(&dir, request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["environments"][0]["name"], "prod");
}

#[tokio::test]
async fn a_foreign_origin_is_refused_even_with_the_token() {
    let dir = tempfile::tempdir().expect("tempdir");
    let request = rpc()
        .header(header::ORIGIN, "https://evil.example")
        .body(Body::from(APP_INFO))
        .expect("request");
    let (status, content_type, body) = send(&dir, request).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(content_type.as_deref(), Some("application/problem+json"));
    assert_eq!(body["code"], "foreignOrigin");
}

#[tokio::test]
async fn a_foreign_host_is_refused_even_with_the_token() {
    let dir = tempfile::tempdir().expect("tempdir");
    let request = rpc_to("attacker.example:4000")
        .body(Body::from(APP_INFO))
        .expect("request");
    let (status, _, body) = send(&dir, request).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["code"], "foreignHost");
    // A second Host header, one of them ours, is refused too.
    let request = rpc()
        .header(header::HOST, "attacker.example:4000")
        .body(Body::from(APP_INFO))
        .expect("request");
    let (status, _, body) = send(&dir, request).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["code"], "foreignHost");
}

#[tokio::test]
async fn a_missing_or_wrong_token_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    for auth in [None, Some("Bearer nope")] {
        let mut builder = Request::post("/api/rpc")
            .header(header::HOST, "127.0.0.1:4000")
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(a) = auth {
            builder = builder.header(header::AUTHORIZATION, a);
        }
        let (status, _, body) =
            send(&dir, builder.body(Body::from(APP_INFO)).expect("request")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{auth:?}");
        assert_eq!(body["code"], "tokenRequired");
    }
}

#[tokio::test]
async fn command_errors_are_problem_json_with_their_status_and_code() {
    let dir = tempfile::tempdir().expect("tempdir");
    let body = r#"{"cmd":"get_scorecard","payload":{"environment":"nosuch"}}"#;
    let (status, content_type, problem) =
        send(&dir, rpc().body(Body::from(body)).expect("request")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(content_type.as_deref(), Some("application/problem+json"));
    assert_eq!(problem["code"], "unknownEnvironment");
    assert_eq!(problem["status"], 404);
    assert_eq!(problem["type"], "urn:readyroom:problem:unknownEnvironment");
    assert_eq!(
        problem["detail"],
        "unknown environment 'nosuch'; the config defines: prod"
    );
}

#[tokio::test]
async fn a_malformed_set_secret_never_echoes_its_value() {
    let dir = tempfile::tempdir().expect("tempdir");
    for body in [
        r#"{"cmd":"set_secret","payload":"postgres://u:Hunter2-pw@h/db"}"#,
        r#"{"cmd":"set_secret","payload":{"name":["postgres://u:Hunter2-pw@h/db"],"value":"x"}}"#,
        r#"{"cmd":"set_secret","payload":{"name":"a","value":{"v":"Hunter2-pw"}}}"#,
        r#"{"cmd":"set_secret","payload":{"name":"a","value":"Hunter2-pw"#,
    ] {
        let (status, content_type, problem) =
            send(&dir, rpc().body(Body::from(body)).expect("request")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {problem}");
        assert_eq!(content_type.as_deref(), Some("application/problem+json"));
        assert!(
            !problem.to_string().contains("Hunter2"),
            "{body} -> {problem}"
        );
    }
}
