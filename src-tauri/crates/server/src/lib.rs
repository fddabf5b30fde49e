//! `readyroom serve`: the same UI and command API as the desktop app, over
//! HTTP on loopback.
//!
//! Guards, in order: the Host header must name this server (DNS rebinding),
//! an Origin, when sent, must be this server's own (cross-site requests from
//! any page the operator has open), and every API call must carry the
//! per-launch token. Errors are RFC 9457 problem JSON. Beyond loopback the
//! server speaks HTTPS with the operator's certificate (the CLI refuses
//! otherwise unless told). Connections are capped and must send their
//! headers promptly; stopping closes event streams and gives requests in
//! flight `SHUTDOWN_GRACE`, no more.

mod assets;
mod events;
mod guard;
mod limits;
mod problem;
mod rpc;
mod served;
mod tls;

use std::sync::Arc;
use std::time::Duration;

use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use axum::{Extension, Router};
use axum_server::accept::DefaultAcceptor;
use axum_server::tls_rustls::RustlsAcceptor;
use axum_server::Handle;
use readyroom_api::Api;

pub use events::BroadcastSink;
pub use guard::CONTENT_SECURITY_POLICY;
pub use limits::{HEADER_READ_TIMEOUT, MAX_CONNECTIONS};
pub use served::{Scheme, Served};
pub use tls::{load as load_tls, ServerTls};

/// How long requests in flight get to finish once the server stops; then
/// their connections are closed.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// Largest request body accepted (a command is small).
const MAX_BODY: usize = 256 * 1024;

/// Largest upload (`/api/upload`: a trace file opened in the view), with
/// room for JSON escaping around the file's content.
const MAX_UPLOAD: usize =
    readyroom_api::traces::MAX_FILE_BYTES + readyroom_api::traces::MAX_FILE_BYTES / 4;

#[derive(Clone)]
pub struct ServerState {
    pub api: Api,
    pub token: Arc<str>,
    pub served: Arc<Served>,
    pub events: BroadcastSink,
}

/// A fresh random token for one launch.
pub fn new_token() -> String {
    let bytes: [u8; 24] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn router(state: ServerState) -> Router {
    let api = Router::new()
        .route(
            "/rpc",
            post(rpc::handle).layer(from_fn_with_state(state.clone(), guard::require_token)),
        )
        .route(
            "/upload",
            post(rpc::upload)
                .layer(axum::extract::DefaultBodyLimit::max(MAX_UPLOAD))
                .layer(from_fn_with_state(state.clone(), guard::require_token)),
        )
        .route(
            "/events",
            get(events::stream).layer(from_fn_with_state(
                state.clone(),
                guard::require_token_or_query,
            )),
        )
        // Any other /api path is a problem, not the UI's app shell.
        .fallback(not_found)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY));
    Router::new()
        .nest("/api", api)
        .fallback(assets::serve)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::same_origin,
        ))
        .layer(axum::middleware::map_response(guard::security_headers))
        .with_state(state)
}

async fn not_found() -> axum::response::Response {
    problem::problem(
        axum::http::StatusCode::NOT_FOUND,
        "Not found",
        "No such API route.",
        "notFound",
    )
}

/// Serves on `listener` (HTTPS when `tls` is given) until `shutdown`
/// resolves; then event streams close, requests in flight get
/// `SHUTDOWN_GRACE`, and the rest are cut.
pub async fn serve(
    listener: std::net::TcpListener,
    state: ServerState,
    tls: Option<axum_server::tls_rustls::RustlsConfig>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    let (close_streams, streams_closed) = tokio::sync::watch::channel(false);
    let app = router(state)
        .layer(Extension(events::StreamsClose(streams_closed)))
        .into_make_service();
    let handle = Handle::new();
    let stopping = handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        let _ = close_streams.send(true);
        stopping.graceful_shutdown(Some(SHUTDOWN_GRACE));
    });
    let server = axum_server::from_tcp(listener).handle(handle.clone());
    match tls {
        None => {
            let mut server = server.acceptor(limits::CappedAcceptor::new(DefaultAcceptor, handle));
            limits::limit_http(server.http_builder());
            server.serve(app).await
        }
        Some(config) => {
            let mut server = server.acceptor(limits::CappedAcceptor::new(
                RustlsAcceptor::new(config),
                handle,
            ));
            limits::limit_http(server.http_builder());
            server.serve(app).await
        }
    }
}
