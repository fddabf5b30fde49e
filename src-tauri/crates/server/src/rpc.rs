//! `POST /api/rpc`: one command in, its response (or a problem) out.

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::problem::{from_api, problem};
use crate::ServerState;

pub async fn handle(
    State(state): State<ServerState>,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Response {
    dispatch(state, body).await
}

/// Commands that carry a file, the only ones `/api/upload` takes (its
/// body limit is a file's, not a command's).
const UPLOADS: &[&str] = &["open_trace_file"];

/// `POST /api/upload`: a command carrying a file, as `/api/rpc` otherwise.
pub async fn upload(
    State(state): State<ServerState>,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Response {
    if let Ok(Json(value)) = &body {
        let cmd = value["cmd"].as_str().unwrap_or_default();
        if !UPLOADS.contains(&cmd) {
            return problem(
                StatusCode::BAD_REQUEST,
                "Invalid request",
                "only commands that carry a file (open_trace_file) are sent to /api/upload; send others to /api/rpc",
                "invalidRequest",
            );
        }
    }
    dispatch(state, body).await
}

async fn dispatch(
    state: ServerState,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Response {
    let Json(body) = match body {
        Ok(b) => b,
        Err(rejection) => {
            return problem(
                rejection.status(),
                "Invalid request",
                &rejection.body_text(),
                "invalidRequest",
            );
        }
    };
    match state.api.dispatch_json(body).await {
        Ok(value) => (
            StatusCode::OK,
            [(header::CACHE_CONTROL, "no-store")],
            Json(value),
        )
            .into_response(),
        Err(e) => from_api(&e),
    }
}
