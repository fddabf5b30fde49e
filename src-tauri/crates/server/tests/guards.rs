//! The server's guards and error shape, in-process (no socket): each guard
//! is tested on its own, with the other guards satisfied, so a test fails
//! if that guard is removed.

use std::net::SocketAddr;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use readyroom_server::{router, ServerState};
use tower::ServiceExt;

mod common;

use common::TOKEN;

fn state(dir: &tempfile::TempDir) -> ServerState {
    state_at(dir, "127.0.0.1:4000")
}

fn state_at(dir: &tempfile::TempDir, listen: &str) -> ServerState {
    common::state_at(dir, listen.parse::<SocketAddr>().expect("address"))
}

/// A GET with an own Host and no token.
fn get(path: &str) -> Request<Body> {
    Request::get(path)
        .header(header::HOST, "127.0.0.1:4000")
        .body(Body::empty())
        .expect("request")
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
    send_to(state(dir), request).await
}

async fn send_to(
    state: ServerState,
    request: Request<Body>,
) -> (StatusCode, Option<String>, serde_json::Value) {
    let response = router(state).oneshot(request).await.expect("response");
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

#[tokio::test]
async fn a_server_on_every_interface_never_answers_to_host_0_0_0_0() {
    let dir = tempfile::tempdir().expect("tempdir");
    for listen in ["0.0.0.0:4000", "[::]:4000"] {
        for host in ["0.0.0.0:4000", "[::]:4000"] {
            let request = rpc_to(host).body(Body::from(APP_INFO)).expect("request");
            let (status, _, body) = send_to(state_at(&dir, listen), request).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{listen} {host}");
            assert_eq!(body["code"], "foreignHost");
        }
        // Loopback is one of the addresses it is actually reached at.
        let request = rpc().body(Body::from(APP_INFO)).expect("request");
        let (status, _, body) = send_to(state_at(&dir, listen), request).await;
        assert_eq!(status, StatusCode::OK, "{listen}: {body}");
    }
}

#[tokio::test]
async fn the_token_in_a_query_is_accepted_on_the_event_stream_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let request = Request::post(format!("/api/rpc?token={TOKEN}"))
        .header(header::HOST, "127.0.0.1:4000")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(APP_INFO))
        .expect("request");
    let (status, _, body) = send(&dir, request).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["code"], "tokenRequired");

    // The event stream: its headers arrive; its body never ends, so it is
    // not read.
    let request = get(&format!("/api/events?token={TOKEN}"));
    let response = router(state(&dir))
        .oneshot(request)
        .await
        .expect("response");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.as_bytes()),
        Some(&b"text/event-stream"[..])
    );
    let (status, _, _) = send(&dir, get("/api/events?token=wrong")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_unknown_api_path_is_a_problem_not_the_app_shell() {
    let dir = tempfile::tempdir().expect("tempdir");
    let request = Request::get("/api/nosuch")
        .header(header::HOST, "127.0.0.1:4000")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .body(Body::empty())
        .expect("request");
    let (status, content_type, body) = send(&dir, request).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(content_type.as_deref(), Some("application/problem+json"));
}

/// The served UI and the desktop window run under one policy: the same
/// directives but `connect-src` (IPC there, this server here) and
/// `frame-ancestors` (a header-only directive).
#[tokio::test]
async fn the_served_ui_has_the_desktops_content_security_policy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let response = router(state(&dir))
        .oneshot(get("/"))
        .await
        .expect("response");
    let served = response
        .headers()
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .expect("a CSP header")
        .to_string();
    let conf = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../tauri.conf.json");
    let conf: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(conf).expect("tauri.conf.json"))
            .expect("JSON");
    let desktop = conf["app"]["security"]["csp"]
        .as_str()
        .expect("desktop CSP");
    let directives = |policy: &str| -> Vec<String> {
        let mut d: Vec<String> = policy
            .split(';')
            .map(|d| d.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|d| !d.is_empty())
            .filter(|d| !d.starts_with("connect-src") && !d.starts_with("frame-ancestors"))
            .collect();
        d.sort();
        d
    };
    assert_eq!(directives(&served), directives(desktop));
    for policy in [served.as_str(), desktop] {
        assert!(policy.contains("base-uri 'none'"), "{policy}");
        assert!(policy.contains("form-action 'none'"), "{policy}");
        assert!(!policy.contains("unsafe-inline"), "{policy}");
    }
    assert!(served.contains("connect-src 'self'"), "{served}");
    assert!(served.contains("frame-ancestors 'none'"), "{served}");
}
