//! Real HTTP and HTTPS servers on loopback that behave as a test needs:
//! healthy, slow, hanging, failing, malformed, bare.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use readyroom_demo::tls::TestPki;
use serde_json::json;

/// Switches a test can flip while the server runs.
#[derive(Default)]
pub struct Knobs {
    /// When set, `/health` answers 503.
    pub unhealthy: AtomicBool,
}

#[derive(serde::Deserialize)]
struct Delay {
    ms: Option<u64>,
}

/// The routes of a configurable target. Every response carries the
/// security headers except under `/bare/`.
pub fn router(knobs: Arc<Knobs>) -> Router {
    let secured = Router::new()
        .route("/", get(|| async { "home" }))
        .route("/health", get(health))
        .route("/slow", get(slow))
        .route(
            "/fail",
            get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "boom") }),
        )
        .route(
            "/not-json",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    "{\"status\": \"ok\", \"checks\": {",
                )
            }),
        )
        .route("/protected", get(protected))
        .route("/open", get(|| async { "anyone can read this" }))
        .route(
            "/metrics",
            get(|| async {
                "# TYPE up gauge\nup 1\n# TYPE requests_total counter\nrequests_total 7\n"
            }),
        )
        .route(
            "/html-metrics",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/html")],
                    "<html><body>dashboard</body></html>",
                )
            }),
        )
        .fallback(|| async {
            let body = json!({"type": "about:blank", "title": "Not Found", "status": 404});
            (
                [(header::CONTENT_TYPE, "application/problem+json")],
                (StatusCode::NOT_FOUND, body.to_string()),
            )
                .into_response()
        })
        .layer(axum::middleware::map_response(secure))
        .with_state(knobs);
    Router::new()
        .route("/bare/", get(|| async { "no headers here" }))
        .route("/bare/health", get(|| async { "ok" }))
        .merge(secured)
}

async fn secure(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static("max-age=31536000"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    r
}

async fn health(State(knobs): State<Arc<Knobs>>) -> Response {
    if knobs.unhealthy.load(Ordering::SeqCst) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({"status": "down", "checks": {"db": "down"}})),
        )
            .into_response();
    }
    axum::Json(json!({"status": "ok", "version": "1.2.3", "checks": {"db": "ok", "cache": {"status": "up"}}})).into_response()
}

async fn slow(Query(d): Query<Delay>) -> impl IntoResponse {
    tokio::time::sleep(Duration::from_millis(d.ms.unwrap_or(200))).await;
    axum::Json(json!({"status": "ok"}))
}

async fn protected() -> Response {
    let mut r = (
        StatusCode::UNAUTHORIZED,
        axum::Json(json!({"type": "about:blank", "title": "Unauthorized", "status": 401})),
    )
        .into_response();
    r.headers_mut()
        .insert("x-ratelimit-limit", HeaderValue::from_static("60"));
    r.headers_mut()
        .insert("x-ratelimit-remaining", HeaderValue::from_static("59"));
    r
}

fn listener() -> std::net::TcpListener {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    l.set_nonblocking(true).expect("nonblocking");
    l
}

/// Serves `router` over plain HTTP; returns its address.
pub fn serve_http(router: Router) -> SocketAddr {
    let l = listener();
    let addr = l.local_addr().expect("addr");
    tokio::spawn(async move {
        let l = tokio::net::TcpListener::from_std(l).expect("tokio listener");
        let _ = axum::serve(l, router).await;
    });
    addr
}

/// Serves `router` over HTTPS with a certificate for localhost/127.0.0.1
/// signed by `pki`'s CA.
pub fn serve_https(
    router: Router,
    pki: &TestPki,
    only: Option<&'static rustls::SupportedProtocolVersion>,
) -> SocketAddr {
    let l = listener();
    let addr = l.local_addr().expect("addr");
    let config =
        axum_server::tls_rustls::RustlsConfig::from_config(Arc::new(pki.server_config(only)));
    tokio::spawn(async move {
        let _ = axum_server::from_tcp_rustls(l, config)
            .serve(router.into_make_service())
            .await;
    });
    addr
}

/// A TCP server that accepts connections and never answers.
pub fn serve_hanging() -> SocketAddr {
    let l = listener();
    let addr = l.local_addr().expect("addr");
    tokio::spawn(async move {
        let l = tokio::net::TcpListener::from_std(l).expect("tokio listener");
        let mut held = Vec::new();
        while let Ok((sock, _)) = l.accept().await {
            held.push(sock);
        }
    });
    addr
}

/// A loopback port with nothing listening (bound, then released).
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

pub fn pki() -> TestPki {
    TestPki::generate(&["localhost", "127.0.0.1"]).expect("certificates")
}
