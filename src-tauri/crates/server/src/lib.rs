//! `readyroom serve`: the same UI and command API as the desktop app, over
//! HTTP on loopback.
//!
//! Guards, in order: the Host header must name this server (DNS rebinding),
//! an Origin, when sent, must be this server's own (cross-site requests from
//! any page the operator has open), and every API call must carry the
//! per-launch token. Errors are RFC 9457 problem JSON.

mod assets;
mod events;
mod guard;
mod problem;
mod rpc;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;
use readyroom_api::Api;

pub use events::BroadcastSink;

/// Largest request body accepted (a command is small).
const MAX_BODY: usize = 256 * 1024;

#[derive(Clone)]
pub struct ServerState {
    pub api: Api,
    pub token: Arc<str>,
    pub addr: SocketAddr,
    pub events: BroadcastSink,
}

/// A fresh random token for one launch.
pub fn new_token() -> String {
    let bytes: [u8; 24] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The URL an operator opens: the token travels in the fragment, which the
/// browser never sends to a server or in a Referer.
pub fn open_url(addr: SocketAddr, token: &str) -> String {
    format!("http://{addr}/#token={token}")
}

pub fn router(state: ServerState) -> Router {
    let api = Router::new()
        .route("/rpc", post(rpc::handle))
        .route("/events", get(events::stream))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::require_token,
        ))
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

/// Serves until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: ServerState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}
