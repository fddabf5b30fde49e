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
