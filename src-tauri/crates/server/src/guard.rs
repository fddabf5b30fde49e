//! The server's guards: same-origin Host/Origin, the launch token, and
//! security headers.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use subtle::ConstantTimeEq;

use crate::problem::problem;
use crate::ServerState;

/// The authorities (host:port) this server answers to.
fn own_authorities(state: &ServerState) -> Vec<String> {
    let port = state.addr.port();
    let mut names = vec![state.addr.to_string()];
    if state.addr.ip().is_loopback() {
        names.extend([
            format!("127.0.0.1:{port}"),
            format!("localhost:{port}"),
            format!("[::1]:{port}"),
        ]);
    }
    names
}

/// Refuses requests whose Host is not this server (DNS rebinding) or whose
/// Origin is another site's (cross-site requests from an open page).
pub async fn same_origin(
    State(state): State<ServerState>,
    request: Request,
    next: Next,
) -> Response {
    let own = own_authorities(&state);
    // Exactly one Host: with two, another layer might read the other one.
    let mut hosts = request.headers().get_all(header::HOST).iter();
    let host = match (hosts.next(), hosts.next()) {
        (Some(h), None) => h.to_str().unwrap_or(""),
        _ => "",
    };
    if !own.iter().any(|a| a.eq_ignore_ascii_case(host)) {
        return problem(
            StatusCode::FORBIDDEN,
            "Foreign host",
            "This server answers only to its own address; the Host header names another.",
            "foreignHost",
        );
    }
    if let Some(origin) = request.headers().get(header::ORIGIN) {
        let allowed = origin
            .to_str()
            .ok()
            .and_then(|o| o.strip_prefix("http://"))
            .is_some_and(|authority| own.iter().any(|a| a.eq_ignore_ascii_case(authority)));
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

/// Every API call carries the launch token: `Authorization: Bearer <token>`,
/// or `?token=` for the event stream (EventSource cannot set headers).
pub async fn require_token(
    State(state): State<ServerState>,
    request: Request,
    next: Next,
) -> Response {
    let from_header = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::to_string);
    let from_query = request.uri().query().and_then(|q| {
        q.split('&')
            .find_map(|pair| pair.strip_prefix("token=").map(str::to_string))
    });
    let presented = from_header.or(from_query).unwrap_or_default();
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
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
        ),
    );
    response
}
