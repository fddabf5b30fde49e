//! The demo production's routes: a small multi-tenant API (contacts,
//! campaigns, an AI summarize route), health, metrics, usage, and the
//! deploy provider's API.

use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rand::Rng;
use serde_json::json;
use time::OffsetDateTime;

use crate::db::{Charge, Workspace};
use crate::llm;
use crate::state::AppState;
use crate::telemetry;
use opentelemetry::Context;

/// Anonymous callers get this many requests a minute (and the headers).
const ANONYMOUS_PER_MINUTE: u64 = 60;

pub fn router(state: AppState) -> Router {
    let tenant = Router::new()
        .route("/api/contacts", get(contacts))
        .route("/api/campaigns", get(campaigns))
        .route("/api/ai/summarize", post(summarize))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            authenticate_and_limit,
        ));
    let provider = Router::new()
        .route(
            "/provider/v1/deployments",
            get(list_deployments).post(create_deployment),
        )
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            provider_auth,
        ));
    let usage_endpoint =
        Router::new()
            .route("/api/usage", get(usage))
            .layer(axum::middleware::from_fn_with_state(
                state.clone(),
                usage_auth,
            ));
    Router::new()
        .route("/", get(home))
        .route("/api/health", get(health))
        .route("/api/metrics", get(metrics))
        .merge(tenant)
        .merge(usage_endpoint)
        .merge(provider)
        .fallback(not_found)
        .layer(axum::middleware::map_response(security_headers))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            trace_request,
        ))
        .with_state(state)
}

/// A server span around every request; handlers find its context in the
/// request's extensions.
async fn trace_request(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    // The route's template, as OpenTelemetry's `http.route` means it: a
    // path no route matched (a probe's random one) has none, so it does
    // not become a route of its own.
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|m| m.as_str().to_string());
    let cx = state
        .telemetry
        .server_span(request.method().as_str(), route.as_deref());
    request.extensions_mut().insert(cx.clone());
    let response = next.run(request).await;
    telemetry::finish(&cx, response.status().as_u16());
    response
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

pub fn problem(status: StatusCode, title: &str, detail: &str) -> Response {
    let body =
        json!({"type": "about:blank", "title": title, "status": status.as_u16(), "detail": detail});
    let mut response = (status, Json(body)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
}

fn rate_headers(h: &mut HeaderMap, limit: u64, remaining: u64, reset_secs: i64) {
    let num =
        |n: i64| HeaderValue::from_str(&n.to_string()).unwrap_or(HeaderValue::from_static("0"));
    h.insert(
        HeaderName::from_static("x-ratelimit-limit"),
        num(limit as i64),
    );
    h.insert(
        HeaderName::from_static("x-ratelimit-remaining"),
        num(remaining as i64),
    );
    h.insert(
        HeaderName::from_static("x-ratelimit-reset"),
        num(reset_secs),
    );
}

/// Bearer API key → workspace; then the workspace's plan decides.
async fn authenticate_and_limit(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let route = request.uri().path().to_string();
    let key = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    let now = OffsetDateTime::now_utc();
    let Some(ws) = key.and_then(|k| state.by_key.get(&k).cloned()) else {
        let (remaining, reset) = anonymous_budget(&state, now);
        let mut r = problem(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "Send a workspace API key as a bearer token.",
        );
        rate_headers(r.headers_mut(), ANONYMOUS_PER_MINUTE, remaining, reset);
        state.metrics.count(&route, 401);
        return r;
    };
    let cx = request
        .extensions()
        .get::<Context>()
        .cloned()
        .unwrap_or_default();
    let db_cx = state.telemetry.db_span(&cx, "UPSERT", "demo_usage");
    let admitted = state.db.admit(&ws, Charge::default(), now).await;
    telemetry::end(&db_cx);
    let admission = match admitted {
        Ok(a) => a,
        Err(e) => {
            tracing::error!(error = %e, "usage database failed");
            state.metrics.count(&route, 503);
            return problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "Service Unavailable",
                "The usage database is unavailable.",
            );
        }
    };
    if let Some(window) = admission.throttled_by {
        let mut r = problem(
            StatusCode::TOO_MANY_REQUESTS,
            "Too Many Requests",
            &format!(
                "Workspace {} is over its {} plan's per-{} request limit.",
                ws.name,
                ws.tier.as_str(),
                window.as_str()
            ),
        );
        rate_headers(r.headers_mut(), admission.limit, 0, admission.reset_secs);
        let retry = window.reset(now) - now;
        if let Ok(v) = HeaderValue::from_str(&retry.whole_seconds().max(1).to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        state.metrics.count(&route, 429);
        return r;
    }
    request.extensions_mut().insert(ws);
    let mut response = next.run(request).await;
    rate_headers(
        response.headers_mut(),
        admission.limit,
        admission.remaining,
        admission.reset_secs,
    );
    state.metrics.count(&route, response.status().as_u16());
    response
}

fn anonymous_budget(state: &AppState, now: OffsetDateTime) -> (u64, i64) {
    let minute = crate::pricing::Window::Minute;
    let start = minute.start(now).unix_timestamp();
    let mut bucket = state.anonymous.lock().unwrap_or_else(|p| p.into_inner());
    if bucket.0 != start {
        *bucket = (start, 0);
    }
    bucket.1 += 1;
    (
        ANONYMOUS_PER_MINUTE.saturating_sub(bucket.1),
        (minute.reset(now) - now).whole_seconds().max(1),
    )
}

/// What the current release does to an ordinary API request: its query
/// (a database span), slow and failing under the bad release.
async fn release_effects(state: &AppState, cx: &Context, table: &str) -> Result<(), Response> {
    let bad = state.current_release().bad;
    // Under the bad release a query holds its connection ~0.9 s: the
    // traffic's ~5 database requests a second then need about as many
    // connections as the pool has, so it runs full and requests queue.
    let hold = if bad {
        Duration::from_millis(rand::rng().random_range(500..1300))
    } else {
        Duration::from_millis(2)
    };
    // The wait for a pool connection is a span of its own, named as the
    // OpenTelemetry `pg` instrumentation names it, then the query's.
    let acquire_cx = state.telemetry.acquire_span(cx);
    let mut db_cx = None;
    let ok = state
        .db
        .use_connection(hold, |got| {
            if !got {
                telemetry::error(&acquire_cx, "pool_timeout");
            }
            telemetry::end(&acquire_cx);
            db_cx = got.then(|| state.telemetry.db_span(cx, "SELECT", table));
        })
        .await;
    if let Some(db_cx) = &db_cx {
        telemetry::end(db_cx);
    }
    if !ok {
        return Err(problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "Service Unavailable",
            "No database connection was free in time.",
        ));
    }
    if bad && rand::rng().random_bool(0.15) {
        return Err(problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal Server Error",
            "Query failed: column \"segment_id\" does not exist.",
        ));
    }
    Ok(())
}

async fn contacts(
    State(state): State<AppState>,
    axum::Extension(ws): axum::Extension<Workspace>,
    axum::Extension(cx): axum::Extension<Context>,
) -> Response {
    if let Err(r) = release_effects(&state, &cx, "contacts").await {
        return r;
    }
    Json(json!({"workspace": ws.id, "contacts": [{"id": "c_1", "name": "Ada Lovelace"}, {"id": "c_2", "name": "Grace Hopper"}]})).into_response()
}

async fn campaigns(
    State(state): State<AppState>,
    axum::Extension(ws): axum::Extension<Workspace>,
    axum::Extension(cx): axum::Extension<Context>,
) -> Response {
    if let Err(r) = release_effects(&state, &cx, "campaigns").await {
        return r;
    }
    Json(json!({"workspace": ws.id, "campaigns": [{"id": "cmp_1", "name": "Winter launch", "status": "running"}]})).into_response()
}

async fn summarize(
    State(state): State<AppState>,
    axum::Extension(ws): axum::Extension<Workspace>,
    axum::Extension(cx): axum::Extension<Context>,
    body: Option<Json<serde_json::Value>>,
) -> Response {
    let text = body
        .and_then(|Json(b)| b.get("text").and_then(|t| t.as_str()).map(str::to_string))
        .unwrap_or_default();
    if text.trim().is_empty() {
        return problem(
            StatusCode::BAD_REQUEST,
            "Bad Request",
            "Send JSON with a non-empty \"text\" field.",
        );
    }
    let limits = ws.tier.default_limits();
    let usage = state.db.usage().await.unwrap_or_default();
    let today = crate::pricing::Window::Day
        .start(OffsetDateTime::now_utc())
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let ai_today: i64 = usage
        .iter()
        .filter(|r| {
            r.workspace_id == ws.id && r.window == "day" && r.window_start.starts_with(&today[..10])
        })
        .map(|r| r.ai_calls)
        .sum();
    if ai_today as u64 >= limits.ai_calls_day {
        return problem(
            StatusCode::TOO_MANY_REQUESTS,
            "Too Many Requests",
            &format!(
                "Workspace {} has used its {} AI calls for today.",
                ws.name, limits.ai_calls_day
            ),
        );
    }
    match llm::summarize(
        &state.http,
        &state.upstream_url,
        &text,
        state.retry,
        &state.telemetry,
        &cx,
    )
    .await
    {
        Ok(done) => {
            state.metrics.llm(false, done.attempts);
            let db_cx = state.telemetry.db_span(&cx, "UPDATE", "demo_usage");
            let charged = state
                .db
                .charge_ai(&ws, done.tokens, OffsetDateTime::now_utc())
                .await;
            telemetry::end(&db_cx);
            if let Err(e) = charged {
                tracing::error!(error = %e, "could not record AI usage");
            }
            Json(json!({"summary": done.summary, "attempts": done.attempts, "tokens": done.tokens}))
                .into_response()
        }
        Err(gave_up) => {
            state.metrics.llm(true, gave_up.attempts);
            let mut r = problem(
                StatusCode::BAD_GATEWAY,
                "AI provider unavailable",
                &format!(
                    "The AI provider failed after {} attempt(s) (last: {}); try again shortly.",
                    gave_up.attempts, gave_up.last
                ),
            );
            if let Ok(v) = HeaderValue::from_str(&gave_up.attempts.to_string()) {
                r.headers_mut()
                    .insert(HeaderName::from_static("x-ai-attempts"), v);
            }
            r
        }
    }
}

async fn home() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        "<!doctype html><title>Acme CRM</title><h1>Acme CRM</h1>",
    )
}

async fn health(State(state): State<AppState>) -> Response {
    let release = state.current_release();
    // A bad release's slow queries show in the health check's own latency.
    if release.bad {
        tokio::time::sleep(Duration::from_millis(1_200)).await;
    }
    let db = match tokio::time::timeout(
        Duration::from_millis(800),
        state.db.use_connection(Duration::ZERO, |_| {}),
    )
    .await
    {
        Ok(true) if state.db.waiting.load(Ordering::SeqCst) == 0 && !release.bad => "ok",
        Ok(true) => "degraded",
        _ => "down",
    };
    let llm = match state.metrics.llm_failure_ratio() {
        Some(r) if r >= 0.5 => "down",
        Some(r) if r >= 0.2 => "degraded",
        _ if state.upstream.behaviour().failure_rate >= 0.5 => "degraded",
        _ => "ok",
    };
    let status = if db == "down" || llm == "down" {
        "down"
    } else if db == "degraded" || llm == "degraded" {
        "degraded"
    } else {
        "ok"
    };
    let body = json!({
        "status": status,
        "version": release.version,
        "commit": release.commit,
        "checks": {
            "database": {"status": db, "pool": {"size": state.db.pool.size(), "idle": state.db.pool.num_idle(), "waiting": state.db.waiting.load(Ordering::SeqCst)}},
            "llm": {"status": llm}
        }
    });
    let code = if status == "down" {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    (code, Json(body)).into_response()
}

async fn metrics(State(state): State<AppState>) -> Response {
    let pool = &state.db.pool;
    let size = u64::from(pool.size());
    let idle = pool.num_idle() as u64;
    let mut out = String::new();
    out.push_str("# HELP demo_db_pool_connections Connections in the app's database pool by state.\n# TYPE demo_db_pool_connections gauge\n");
    out.push_str(&format!(
        "demo_db_pool_connections{{state=\"in_use\"}} {}\n",
        size.saturating_sub(idle)
    ));
    out.push_str(&format!(
        "demo_db_pool_connections{{state=\"idle\"}} {idle}\n"
    ));
    out.push_str(&format!("# HELP demo_db_pool_max_connections The pool's maximum size.\n# TYPE demo_db_pool_max_connections gauge\ndemo_db_pool_max_connections {}\n", crate::db::POOL_SIZE));
    out.push_str(&format!("# HELP demo_db_pool_waiting Requests waiting for a pool connection.\n# TYPE demo_db_pool_waiting gauge\ndemo_db_pool_waiting {}\n", state.db.waiting.load(Ordering::SeqCst)));
    out.push_str("# HELP http_requests_total Requests served by route and status.\n# TYPE http_requests_total counter\n");
    for ((route, status), n) in state
        .metrics
        .requests
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
    {
        out.push_str(&format!(
            "http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}\n"
        ));
    }
    let m = &state.metrics;
    out.push_str(
        "# HELP llm_calls_total AI summarize calls by outcome.\n# TYPE llm_calls_total counter\n",
    );
    out.push_str(&format!(
        "llm_calls_total{{outcome=\"ok\"}} {}\nllm_calls_total{{outcome=\"failed\"}} {}\n",
        m.llm_calls_ok.load(Ordering::Relaxed),
        m.llm_calls_failed.load(Ordering::Relaxed)
    ));
    out.push_str(&format!("# HELP llm_retries_total Retries of LLM upstream attempts.\n# TYPE llm_retries_total counter\nllm_retries_total {}\n", m.llm_retries.load(Ordering::Relaxed)));
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}

/// The quota data contract as JSON (for `quota.source = "http"`).
async fn usage(State(state): State<AppState>) -> Response {
    match state.db.usage().await {
        Ok(rows) => Json(json!({ "rows": rows })).into_response(),
        Err(e) => problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "Service Unavailable",
            &format!("usage query failed: {e}"),
        ),
    }
}

/// Whether `request` carries `Authorization: Bearer TOKEN`.
fn bears(request: &Request, token: &str) -> bool {
    request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| t == token)
}

async fn usage_auth(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !bears(&request, &state.usage_token) {
        return problem(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "The usage endpoint needs its token.",
        );
    }
    next.run(request).await
}

async fn provider_auth(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !bears(&request, &state.provider_token) {
        return problem(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "The deploy provider needs its token.",
        );
    }
    next.run(request).await
}

async fn list_deployments(State(state): State<AppState>) -> Response {
    let releases = state
        .releases
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    let current = releases.current().id.clone();
    Json(json!({"current": current, "deployments": releases.all})).into_response()
}

async fn create_deployment(
    State(state): State<AppState>,
    Json(body): Json<serde_json::Value>,
) -> Response {
    let Some(id) = body.get("release").and_then(|r| r.as_str()) else {
        return problem(
            StatusCode::BAD_REQUEST,
            "Bad Request",
            "Send {\"release\": \"<deployment id>\"}.",
        );
    };
    match state.deploy(id) {
        Some(release) => (
            StatusCode::CREATED,
            Json(json!({"current": release.id, "version": release.version})),
        )
            .into_response(),
        None => problem(
            StatusCode::NOT_FOUND,
            "Not Found",
            &format!("No deployment {id}."),
        ),
    }
}

async fn not_found(uri: Uri) -> Response {
    problem(
        StatusCode::NOT_FOUND,
        "Not Found",
        &format!("No route for {}", uri.path()),
    )
}
