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
    listener_on("127.0.0.1:0")
}

fn listener_on(bind: &str) -> std::net::TcpListener {
    let l = std::net::TcpListener::bind(bind)
        .unwrap_or_else(|e| panic!("cannot bind {bind} (is loopback configured?): {e}"));
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
    serve_https_on(listener(), router, pki, only)
}

/// Serves `router` over HTTPS on IPv6 loopback (`[::1]`); `pki` must name
/// `::1`.
pub fn serve_https_v6(router: Router, pki: &TestPki) -> SocketAddr {
    serve_https_on(listener_on("[::1]:0"), router, pki, None)
}

fn serve_https_on(
    l: std::net::TcpListener,
    router: Router,
    pki: &TestPki,
    only: Option<&'static rustls::SupportedProtocolVersion>,
) -> SocketAddr {
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

/// A loopback port with nothing listening (bound, then released): free
/// for a server the test starts there.
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// A loopback port that refuses connections for the rest of the test
/// process: bound but never listened on. (A port bound and released could
/// be taken by another test's server in between and answer where a
/// refusal was expected.)
pub fn refusing_port() -> u16 {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind("127.0.0.1:0".parse().expect("addr"))
        .expect("bind");
    let port = socket.local_addr().expect("addr").port();
    std::mem::forget(socket);
    port
}

pub fn pki() -> TestPki {
    TestPki::generate(&["localhost", "127.0.0.1"]).expect("certificates")
}

/// The status line and headers [`serve_hostile`] starts most answers with.
const HOSTILE_HEAD: &str =
    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n";

/// A raw HTTP/1.1 server that attacks its client, one way per path:
/// - `/endless-metrics`: a chunked Prometheus exposition that never ends;
/// - `/huge-health`: a 2 GiB body with no length;
/// - `/trickle`: the whole response at one byte per second;
/// - `/many-headers`: 10,000 headers.
///
/// Written by hand because no well-behaved server library can be made to
/// misbehave like this.
pub fn serve_hostile() -> SocketAddr {
    let l = listener();
    let addr = l.local_addr().expect("addr");
    tokio::spawn(async move {
        let l = tokio::net::TcpListener::from_std(l).expect("tokio listener");
        while let Ok((sock, _)) = l.accept().await {
            tokio::spawn(hostile_exchange(sock));
        }
    });
    addr
}

async fn hostile_exchange(mut sock: tokio::net::TcpStream) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match sock.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head);
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
    // Every write error means the client hung up: that is the goal.
    let _ = match path.as_str() {
        "/endless-metrics" => {
            let mut chunk = String::new();
            while chunk.len() < 64 * 1024 {
                chunk.push_str(&format!("# TYPE m{0} gauge\nm{0} 1\n", chunk.len()));
            }
            let framed = format!("{:x}\r\n{chunk}\r\n", chunk.len());
            let start = "HTTP/1.1 200 OK\r\ncontent-type: text/plain; version=0.0.4\r\ntransfer-encoding: chunked\r\n\r\n";
            async {
                sock.write_all(start.as_bytes()).await?;
                loop {
                    sock.write_all(framed.as_bytes()).await?;
                }
            }
            .await
        }
        "/huge-health" => {
            let block = vec![b' '; 1024 * 1024];
            async {
                sock.write_all(
                    format!("{HOSTILE_HEAD}\r\n{{\"status\":\"ok\",\"pad\":\"").as_bytes(),
                )
                .await?;
                for _ in 0..2048 {
                    sock.write_all(&block).await?;
                }
                Ok::<(), std::io::Error>(())
            }
            .await
        }
        "/trickle" => {
            let whole = format!("{HOSTILE_HEAD}content-length: 15\r\n\r\n{{\"status\":\"ok\"}}");
            async {
                for byte in whole.as_bytes() {
                    sock.write_all(std::slice::from_ref(byte)).await?;
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Ok::<(), std::io::Error>(())
            }
            .await
        }
        "/many-headers" => {
            let mut whole = String::from(HOSTILE_HEAD);
            for i in 0..10_000 {
                whole.push_str(&format!("x-filler-{i}: {i}\r\n"));
            }
            whole.push_str("content-length: 15\r\n\r\n{\"status\":\"ok\"}");
            sock.write_all(whole.as_bytes()).await
        }
        _ => {
            sock.write_all(
                b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            )
            .await
        }
    };
}
