//! The example production's routes.

use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::json;

pub fn router() -> Router {
    Router::new()
        .route("/", get(home))
        .route("/api/health", get(health))
        .route("/api/metrics", get(metrics))
        .route("/api/contacts", get(protected))
        .route("/api/campaigns", get(protected))
        .fallback(not_found)
        .layer(axum::middleware::map_response(security_headers))
}

async fn security_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static("max-age=63072000; includeSubDomains"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

async fn home() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        "<!doctype html><title>Acme CRM</title><h1>Acme CRM</h1>",
    )
}

async fn health() -> impl IntoResponse {
    axum::Json(json!({
        "status": "ok",
        "version": "2.14.0",
        "commit": "3f9c2ab",
        "checks": {
            "database": {"status": "ok", "latencyMs": 3},
            "pooler": {"status": "ok"},
            "llm": {"status": "ok"}
        }
    }))
}

async fn metrics() -> impl IntoResponse {
    let body = "# HELP http_requests_total Requests served.\n# TYPE http_requests_total counter\nhttp_requests_total{route=\"/api/contacts\",status=\"200\"} 1027\n# HELP db_pool_connections Connections in the app's pool.\n# TYPE db_pool_connections gauge\ndb_pool_connections{state=\"idle\"} 8\ndb_pool_connections{state=\"used\"} 2\n";
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body)
}

fn problem(status: StatusCode, title: &str, detail: &str) -> Response {
    let body =
        json!({"type": "about:blank", "title": title, "status": status.as_u16(), "detail": detail});
    let mut response = (status, axum::Json(body)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
}

async fn protected(headers: HeaderMap) -> Response {
    let mut response = if headers.contains_key(header::AUTHORIZATION) {
        problem(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "This token may not read this resource.",
        )
    } else {
        problem(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "Send a bearer token.",
        )
    };
    let h = response.headers_mut();
    h.insert(
        HeaderName::from_static("x-ratelimit-limit"),
        HeaderValue::from_static("100"),
    );
    h.insert(
        HeaderName::from_static("x-ratelimit-remaining"),
        HeaderValue::from_static("99"),
    );
    response
}

async fn not_found(uri: Uri) -> Response {
    problem(
        StatusCode::NOT_FOUND,
        "Not Found",
        &format!("No route for {}", uri.path()),
    )
}
