//! RFC 9457 problem details for every error the server returns.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use readyroom_api::ApiError;
use serde_json::json;

/// A problem+json response. `code` is the stable error code the UI
/// switches on.
pub fn problem(status: StatusCode, title: &str, detail: &str, code: &str) -> Response {
    let body = json!({
        "type": format!("urn:readyroom:problem:{code}"),
        "title": title,
        "status": status.as_u16(),
        "detail": detail,
        "code": code,
    });
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}

pub fn from_api(e: &ApiError) -> Response {
    let status =
        StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let code = serde_json::to_value(e.code)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    problem(status, e.code.title(), &e.message, &code)
}
