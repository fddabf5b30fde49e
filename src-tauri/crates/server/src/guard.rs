//! The server's guards: same-origin Host/Origin, the launch token, and
//! security headers.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use subtle::ConstantTimeEq;

use crate::problem::problem;
use crate::ServerState;

/// Refuses requests whose Host is not this server (DNS rebinding) or whose
/// Origin is another site's (cross-site requests from an open page).
pub async fn same_origin(
    State(state): State<ServerState>,
    request: Request,
    next: Next,
) -> Response {
    // Exactly one Host: with two, another layer might read the other one.
    let mut hosts = request.headers().get_all(header::HOST).iter();
    let host = match (hosts.next(), hosts.next()) {
        (Some(h), None) => h.to_str().unwrap_or(""),
        _ => "",
    };
    if !state.served.is_own_authority(host) {
        return problem(
            StatusCode::FORBIDDEN,
            "Foreign host",
            "This server answers only to its own address; the Host header names another.",
            "foreignHost",
        );
    }
    if let Some(origin) = request.headers().get(header::ORIGIN) {
        let allowed = origin.to_str().is_ok_and(|o| state.served.is_own_origin(o));
        if !allowed {
            return problem(
                StatusCode::FORBIDDEN,
                "Foreign origin",
                "Requests from other sites are refused.",
                "foreignOrigin",
            );
        }
    }
    next.run(request).await
}

/// API calls carry the launch token in `Authorization: Bearer <token>`.
pub async fn require_token(
    State(state): State<ServerState>,
    request: Request,
    next: Next,
) -> Response {
    let presented = bearer(&request).unwrap_or_default();
    check_token(&state, presented, request, next).await
}

/// The event stream also takes `?token=`, because EventSource cannot set
/// headers. Only there: a token in a URL can end up in history and logs,
/// and no other route needs it.
pub async fn require_token_or_query(
    State(state): State<ServerState>,
    request: Request,
    next: Next,
) -> Response {
    let from_query = request.uri().query().and_then(|q| {
        q.split('&')
            .find_map(|pair| pair.strip_prefix("token="))
            .map(str::to_string)
    });
    let presented = bearer(&request).or(from_query).unwrap_or_default();
    check_token(&state, presented, request, next).await
}

fn bearer(request: &Request) -> Option<String> {
    request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::to_string)
}

async fn check_token(
    state: &ServerState,
    presented: String,
    request: Request,
    next: Next,
) -> Response {
    let ok: bool = presented.as_bytes().ct_eq(state.token.as_bytes()).into();
    if !ok {
        return problem(
            StatusCode::UNAUTHORIZED,
            "Token required",
            "Open the URL that `readyroom serve` printed; it carries this launch's token.",
            "tokenRequired",
        );
    }
    next.run(request).await
}

/// The served UI's policy, derived at build time from the desktop app's
/// (see build.rs): one policy for both transports.
pub const CONTENT_SECURITY_POLICY: &str = env!("READYROOM_SERVED_CSP");

pub async fn security_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    response
}
