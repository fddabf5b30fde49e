//! Tempo and Jaeger read through contract servers built from their
//! documented HTTP APIs (this machine cannot run either): Tempo's
//! `/api/search` and `/api/traces/<id>` (protobuf on request, else its
//! jsonpb JSON with base64 ids and enum names, grafana/tempo#5437), and
//! Jaeger's `/api/v3` HTTP gateway (`{"result": ...}`, 404 when nothing
//! is found, required time bounds).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use base64::Engine as _;
use prost::Message;
use readyroom_core::traces::{
    AttributeMatch, Attributes, Span, SpanId, SpanKind, StatusCode as Status, TraceFilter, TraceId,
};
use readyroom_core::Sensitive;
use serde_json::Value;

use readyroom_sources::otlp::{to_json, to_request};
use readyroom_sources::trace_query::{Engine, QueryError, Search, TraceQuery};
use readyroom_tests::TestEnv;

use super::traceql;

pub(crate) const TOKEN: &str = "tok-3f9a-never-shown";

fn span(trace: u8, id: u8, parent: Option<u8>, service: &str, start_ms: u64, error: bool) -> Span {
    let mut attributes = Attributes::default();
    if parent.is_none() {
        attributes.0.push((
            "http.route".into(),
            readyroom_core::traces::Value::String("/things".into()),
        ));
    }
    Span {
        trace_id: TraceId([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, trace]),
        span_id: SpanId([0, 0, 0, 0, 0, 0, 1, id]),
        parent_span_id: parent.map(|p| SpanId([0, 0, 0, 0, 0, 0, 1, p])),
        service: service.into(),
        name: if parent.is_none() {
            "GET /things".into()
        } else {
            "SELECT".into()
        },
        kind: if parent.is_none() {
            SpanKind::Server
        } else {
            SpanKind::Client
        },
        start_unix_nano: 1_760_000_000_000_000_000 + start_ms * 1_000_000,
        end_unix_nano: 1_760_000_000_000_000_000 + (start_ms + 40) * 1_000_000,
        status: if error { Status::Error } else { Status::Unset },
        status_message: String::new(),
        attributes,
        events: Vec::new(),
        links: Vec::new(),
        resource: Attributes(vec![(
            "service.name".into(),
            readyroom_core::traces::Value::String(service.into()),
        )])
        .into(),
    }
}

fn stored() -> Vec<Span> {
    vec![
        span(1, 1, None, "api", 0, false),
        span(1, 2, Some(1), "api", 5, false),
        span(2, 3, None, "api", 1_000, true),
        span(2, 4, Some(3), "worker", 1_010, true),
    ]
}

/// What the contract server saw, for the tests to check.
#[derive(Default)]
struct Seen {
    queries: Vec<HashMap<String, String>>,
    authorized: Vec<bool>,
    org: Vec<Option<String>>,
}

#[derive(Clone)]
struct Backend {
    spans: Arc<Vec<Span>>,
    /// Whether `/api/metrics/query` answers (Tempo with the local-blocks
    /// processor), or says metrics are not enabled.
    metrics: bool,
    seen: Arc<Mutex<Seen>>,
    /// Answer every request with this status instead (401, 500...).
    fail: Option<StatusCode>,
    /// Answer JSON whatever was asked for (a proxy that drops Accept).
    json_only: bool,
}

impl Backend {
    fn note(&self, headers: &HeaderMap, query: HashMap<String, String>) -> Option<Response> {
        let mut seen = self.seen.lock().expect("lock");
        seen.queries.push(query);
        seen.authorized.push(
            headers.get("authorization").and_then(|v| v.to_str().ok())
                == Some(&format!("Bearer {TOKEN}")),
        );
        seen.org.push(
            headers
                .get("x-scope-orgid")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
        );
        self.fail
            .map(|status| (status, "{\"error\":\"denied\"}").into_response())
    }

    fn trace(&self, hex: &str) -> Vec<Span> {
        self.spans
            .iter()
            .filter(|s| s.trace_id.to_string() == hex)
            .cloned()
            .collect()
    }
}

/// Tempo's jsonpb dialect of a trace: `batches`, base64 ids, enum names.
fn tempo_json(spans: &[Span]) -> Value {
    let mut value: Value = serde_json::from_str(&to_json(spans)).expect("json");
    let b64 = |hex: &str| {
        let bytes: Vec<u8> = (0..hex.len() / 2)
            .map(|i| u8::from_str_radix(&hex[i * 2..i * 2 + 2], 16).expect("hex"))
            .collect();
        base64::engine::general_purpose::STANDARD.encode(bytes)
    };
    for resource in value["resourceSpans"].as_array_mut().expect("resources") {
        for scope in resource["scopeSpans"].as_array_mut().expect("scopes") {
            for span in scope["spans"].as_array_mut().expect("spans") {
                for key in ["traceId", "spanId", "parentSpanId"] {
                    if let Some(hex) = span[key].as_str().filter(|h| !h.is_empty()) {
                        span[key] = Value::from(b64(hex));
                    }
                }
                let kind = match span["kind"].as_i64() {
                    Some(2) => "SPAN_KIND_SERVER",
                    Some(3) => "SPAN_KIND_CLIENT",
                    _ => "SPAN_KIND_INTERNAL",
                };
                span["kind"] = Value::from(kind);
                if span["status"]["code"].as_i64() == Some(2) {
                    span["status"]["code"] = Value::from("STATUS_CODE_ERROR");
                }
            }
        }
    }
    let resources = value["resourceSpans"].take();
    serde_json::json!({ "batches": resources })
}

/// The request's TraceQL (`q`, else `default`), or why it is not.
fn traceql_of(q: &HashMap<String, String>, default: &str) -> Result<traceql::Query, String> {
    traceql::parse(q.get("q").map_or(default, String::as_str))
        .map_err(|e| format!("invalid TraceQL: {e}"))
}

/// A Unix-seconds parameter.
fn seconds(q: &HashMap<String, String>, key: &str) -> Option<u64> {
    q.get(key).and_then(|v| v.parse().ok())
}

async fn tempo_search(
    State(b): State<Backend>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(failed) = b.note(&headers, q.clone()) {
        return failed;
    }
    let selection = match traceql_of(&q, "{ }") {
        Ok(query) => query.selection,
        Err(e) => return (StatusCode::BAD_REQUEST, e).into_response(),
    };
    let (from, to) = (
        seconds(&q, "start").unwrap_or(0) * 1_000_000_000,
        seconds(&q, "end").map_or(u64::MAX, |s| s * 1_000_000_000),
    );
    let limit = q.get("limit").and_then(|l| l.parse().ok()).unwrap_or(20);
    // A trace is found when one of its spans matches; it is listed by its
    // root span.
    let mut roots: Vec<&Span> = b
        .spans
        .iter()
        .filter(|s| s.parent_span_id.is_none())
        .filter(|root| (from..=to).contains(&root.start_unix_nano))
        .filter(|root| {
            b.spans
                .iter()
                .any(|s| s.trace_id == root.trace_id && selection.matches(s))
        })
        .collect();
    roots.sort_by_key(|s| std::cmp::Reverse(s.start_unix_nano));
    roots.truncate(limit);
    let traces: Vec<Value> = roots
        .iter()
        .map(|s| {
            serde_json::json!({
                // Tempo leaves out leading zeros.
                "traceID": s.trace_id.to_string().trim_start_matches('0'),
                "rootServiceName": s.service,
                "rootTraceName": s.name,
                "startTimeUnixNano": s.start_unix_nano.to_string(),
                "durationMs": s.duration_nanos() / 1_000_000,
            })
        })
        .collect();
    axum::Json(serde_json::json!({"traces": traces, "metrics": {"inspectedTraces": 2}}))
        .into_response()
}

/// `GET /api/metrics/query` (instant): the query evaluated over the
/// spans that started in `[start, end]`.
async fn tempo_metrics(
    State(b): State<Backend>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(failed) = b.note(&headers, q.clone()) {
        return failed;
    }
    if !b.metrics {
        return (
            StatusCode::BAD_REQUEST,
            "localblocks processor not found: TraceQL metrics are not enabled",
        )
            .into_response();
    }
    let query = match traceql_of(&q, "") {
        Ok(query) if query.stage.is_some() => query,
        Ok(_) => return (StatusCode::BAD_REQUEST, "not a metrics query").into_response(),
        Err(e) => return (StatusCode::BAD_REQUEST, e).into_response(),
    };
    let (Some(start), Some(end)) = (seconds(&q, "start"), seconds(&q, "end")) else {
        return (StatusCode::BAD_REQUEST, "start and end are required").into_response();
    };
    let window = start * 1_000_000_000..=end * 1_000_000_000;
    let spans: Vec<&Span> = b
        .spans
        .iter()
        .filter(|s| window.contains(&s.start_unix_nano))
        .collect();
    axum::Json(traceql::instant(&query, &spans)).into_response()
}

async fn tempo_trace(
    State(b): State<Backend>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Some(failed) = b.note(&headers, HashMap::new()) {
        return failed;
    }
    let spans = b.trace(&id);
    if spans.is_empty() {
        return (StatusCode::NOT_FOUND, "trace not found").into_response();
    }
    let protobuf = headers
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/protobuf"))
        && !b.json_only;
    if protobuf {
        (
            [("content-type", "application/protobuf")],
            to_request(&spans).encode_to_vec(),
        )
            .into_response()
    } else {
        axum::Json(tempo_json(&spans)).into_response()
    }
}

fn jaeger_result(spans: &[Span]) -> Response {
    let value: Value = serde_json::from_str(&to_json(spans)).expect("json");
    axum::Json(serde_json::json!({ "result": value })).into_response()
}

fn jaeger_not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        r#"{"error":{"httpCode":404,"message":"trace not found"}}"#,
    )
        .into_response()
}

async fn jaeger_find(
    State(b): State<Backend>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(failed) = b.note(&headers, q.clone()) {
        return failed;
    }
    let (Some(min), Some(max)) = (q.get("query.start_time_min"), q.get("query.start_time_max"))
    else {
        return (
            StatusCode::BAD_REQUEST,
            "query.start_time_min and query.start_time_max are required",
        )
            .into_response();
    };
    let rfc = &time::format_description::well_known::Rfc3339;
    let (Ok(min), Ok(max)) = (
        time::OffsetDateTime::parse(min, rfc),
        time::OffsetDateTime::parse(max, rfc),
    ) else {
        return (StatusCode::BAD_REQUEST, "malformed parameter").into_response();
    };
    let window = readyroom_core::traces::unix_nanos(min)..=readyroom_core::traces::unix_nanos(max);
    let limit: usize = q
        .get("query.num_traces")
        .and_then(|n| n.parse().ok())
        .unwrap_or(20);
    let service = q.get("query.service_name").cloned().unwrap_or_default();
    // The newest traces with a span of the service in the window.
    let mut found: Vec<(u64, TraceId)> = b
        .spans
        .iter()
        .filter(|s| s.service == service && window.contains(&s.start_unix_nano))
        .map(|s| (s.start_unix_nano, s.trace_id))
        .collect();
    found.sort_by_key(|(start, _)| std::cmp::Reverse(*start));
    let mut traces: Vec<TraceId> = Vec::new();
    for (_, id) in found {
        if !traces.contains(&id) && traces.len() < limit {
            traces.push(id);
        }
    }
    let spans: Vec<Span> = b
        .spans
        .iter()
        .filter(|s| traces.contains(&s.trace_id))
        .cloned()
        .collect();
    if spans.is_empty() {
        return jaeger_not_found();
    }
    jaeger_result(&spans)
}

async fn jaeger_services(State(b): State<Backend>, headers: HeaderMap) -> Response {
    if let Some(failed) = b.note(&headers, HashMap::new()) {
        return failed;
    }
    let mut services: Vec<String> = b.spans.iter().map(|s| s.service.clone()).collect();
    services.sort();
    services.dedup();
    axum::Json(serde_json::json!({ "services": services })).into_response()
}

async fn jaeger_trace(
    State(b): State<Backend>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Some(failed) = b.note(&headers, HashMap::new()) {
        return failed;
    }
    let spans = b.trace(&id);
    if spans.is_empty() {
        return jaeger_not_found();
    }
    jaeger_result(&spans)
}

pub(crate) struct Server {
    pub(crate) url: url::Url,
    seen: Arc<Mutex<Seen>>,
}

impl Server {
    /// Every TraceQL query (`q`) the server was sent, in order.
    pub(crate) fn traceql(&self) -> Vec<String> {
        let seen = self.seen.lock().expect("lock");
        seen.queries
            .iter()
            .filter_map(|q| q.get("q").cloned())
            .collect()
    }

    pub(crate) fn all_authorized(&self) -> bool {
        let seen = self.seen.lock().expect("lock");
        !seen.authorized.is_empty() && seen.authorized.iter().all(|a| *a)
    }
}

async fn serve(fail: Option<StatusCode>) -> Server {
    serve_with(fail, false).await
}

async fn serve_with(fail: Option<StatusCode>, json_only: bool) -> Server {
    serve_spans(stored(), true, fail, json_only).await
}

/// A Tempo (under `/tempo/`) and a Jaeger (under `/jaeger/`) holding
/// `spans`; Tempo's TraceQL metrics on or off.
pub(crate) async fn serve_spans(
    spans: Vec<Span>,
    metrics: bool,
    fail: Option<StatusCode>,
    json_only: bool,
) -> Server {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let backend = Backend {
        spans: Arc::new(spans),
        metrics,
        seen: seen.clone(),
        fail,
        json_only,
    };
    let router = Router::new()
        .route("/tempo/api/search", get(tempo_search))
        .route("/tempo/api/traces/{id}", get(tempo_trace))
        .route("/tempo/api/metrics/query", get(tempo_metrics))
        .route("/jaeger/api/v3/traces", get(jaeger_find))
        .route("/jaeger/api/v3/traces/{id}", get(jaeger_trace))
        .route("/jaeger/api/v3/services", get(jaeger_services))
        .with_state(backend);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Server {
        url: format!("http://{addr}/").parse().expect("url"),
        seen,
    }
}

fn client_with(timeout: Duration) -> reqwest::Client {
    readyroom_sources::http::client(
        &readyroom_sources::trust::ExtraRoots::default(),
        timeout,
        readyroom_sources::http::Redirects::Keep,
    )
    .expect("client")
}

fn client() -> reqwest::Client {
    client_with(Duration::from_secs(5))
}

fn query(engine: Engine, server: &Server, path: &str) -> TraceQuery {
    TraceQuery::new(
        engine,
        server.url.join(path).expect("url"),
        client(),
        Some(Sensitive::new(TOKEN.to_string())),
        (engine == Engine::Tempo).then(|| "team-a".to_string()),
    )
}

/// The stored traces' window, with `filter` (its limit 20 when unset).
fn window_with(filter: TraceFilter) -> Search {
    Search {
        from_ns: 1_759_999_000_000_000_000,
        to_ns: 1_760_000_100_000_000_000,
        filter: TraceFilter {
            limit: if filter.limit == 0 { 20 } else { filter.limit },
            ..filter
        },
    }
}

fn window() -> Search {
    window_with(TraceFilter::default())
}

#[tokio::test]
async fn tempo_search_and_trace_read_through_a_tempo_contract_server() {
    let server = serve(None).await;
    let tempo = query(Engine::Tempo, &server, "tempo/");
    let found = tempo
        .search(&window_with(TraceFilter {
            service: Some("api".into()),
            failed: Some(true),
            min_duration_ns: 30_000_000,
            ..TraceFilter::default()
        }))
        .await
        .expect("search");
    // Only the trace with an ERROR span, its id padded back to 32 hex
    // digits.
    let ids: Vec<String> = found.iter().map(|f| f.trace_id.to_string()).collect();
    assert_eq!(ids, ["00000000000000000000000000000002"]);
    assert_eq!(found[0].duration_ns, 40_000_000);
    assert_eq!(found[0].root_service.as_deref(), Some("api"));
    {
        let seen = server.seen.lock().expect("lock");
        let q = &seen.queries[0];
        assert_eq!(
            q["q"],
            r#"{ trace:rootService = "api" && status = error && trace:duration >= 30000us }"#
        );
        assert_eq!(
            (q["start"].as_str(), q["end"].as_str()),
            ("1759999000", "1760000100")
        );
        assert_eq!(q["limit"], "20");
        assert_eq!(seen.authorized, [true]);
        assert_eq!(seen.org, [Some("team-a".to_string())]);
    }
    // A duration range and an attribute: a number is tried as a number
    // and as text (TraceQL compares typed values).
    tempo
        .search(&window_with(TraceFilter {
            max_duration_ns: Some(45_000_000),
            attribute: Some(
                AttributeMatch::parse("http.response.status_code=500").expect("key=value"),
            ),
            ..TraceFilter::default()
        }))
        .await
        .expect("search");
    assert_eq!(
        server
            .seen
            .lock()
            .expect("lock")
            .queries
            .last()
            .expect("a query")["q"],
        r#"{ trace:duration <= 45000us && (.http.response.status_code = "500" || .http.response.status_code = 500) }"#
    );
    // Without conditions, newest first.
    let all = tempo.search(&window()).await.expect("search");
    let ids: Vec<String> = all.iter().map(|f| f.trace_id.to_string()).collect();
    assert_eq!(
        ids,
        [
            "00000000000000000000000000000002",
            "00000000000000000000000000000001"
        ]
    );

    // The trace, asked for as protobuf: exactly what was stored.
    let spans = tempo.trace(found[0].trace_id).await.expect("trace");
    let want: Vec<Span> = stored()
        .into_iter()
        .filter(|s| s.trace_id == found[0].trace_id)
        .collect();
    assert_eq!(spans, want);
    // A trace Tempo does not have is empty, not an error.
    let missing = tempo.trace(TraceId([9; 16])).await.expect("missing");
    assert!(missing.is_empty());
}

#[tokio::test]
async fn tempo_json_with_base64_ids_reads_the_same_as_protobuf() {
    let (json, protobuf) = (serve_with(None, true).await, serve(None).await);
    let id = stored()[2].trace_id;
    // What a proxy that drops Accept gets: Tempo's jsonpb JSON.
    let from_json = query(Engine::Tempo, &json, "tempo/")
        .trace(id)
        .await
        .expect("json");
    let from_protobuf = query(Engine::Tempo, &protobuf, "tempo/")
        .trace(id)
        .await
        .expect("protobuf");
    assert_eq!(from_json, from_protobuf);
    assert_eq!(from_json, stored()[2..].to_vec());
}

#[tokio::test]
async fn tempo_cannot_list_only_traces_without_errors_and_says_so() {
    let server = serve(None).await;
    let tempo = query(Engine::Tempo, &server, "tempo/");
    let err = tempo
        .search(&window_with(TraceFilter {
            failed: Some(false),
            ..TraceFilter::default()
        }))
        .await
        .expect_err("unsupported");
    assert!(matches!(err, QueryError::Unsupported(_)), "{err}");
    assert!(server.seen.lock().expect("lock").queries.is_empty());
}

#[tokio::test]
async fn jaeger_search_and_trace_read_through_a_jaeger_contract_server() {
    let server = serve(None).await;
    let jaeger = query(Engine::Jaeger, &server, "jaeger");
    // No service given: every service is searched; a trace found through
    // two services is listed once.
    let found = jaeger.search(&window()).await.expect("search");
    let ids: Vec<String> = found.iter().map(|f| f.trace_id.to_string()).collect();
    assert_eq!(
        ids,
        [
            "00000000000000000000000000000002",
            "00000000000000000000000000000001"
        ]
    );
    assert_eq!((found[0].spans, found[0].error_spans), (Some(2), Some(2)));
    assert_eq!(found[1].root_name.as_deref(), Some("GET /things"));

    let errors_only = jaeger
        .search(&window_with(TraceFilter {
            service: Some("api".into()),
            failed: Some(false),
            route: Some("/things".into()),
            ..TraceFilter::default()
        }))
        .await
        .expect("search");
    assert_eq!(errors_only.len(), 1);
    assert_eq!(errors_only[0].trace_id, stored()[0].trace_id);
    {
        let seen = server.seen.lock().expect("lock");
        let last = seen.queries.last().expect("a query");
        assert_eq!(last["query.service_name"], "api");
        assert_eq!(last["query.num_traces"], "20");
        assert!(
            last["query.start_time_min"].starts_with("2025-10-09T"),
            "{last:?}"
        );
        assert!(seen.authorized.iter().all(|a| *a));
        assert!(
            seen.org.iter().all(Option::is_none),
            "no tenant header for Jaeger"
        );
    }

    // Jaeger answers with whole traces: an attribute (here on a resource)
    // is matched on them as the local store does.
    let on_worker = jaeger
        .search(&window_with(TraceFilter {
            attribute: Some(AttributeMatch::parse("service.name=worker").expect("key=value")),
            ..TraceFilter::default()
        }))
        .await
        .expect("search");
    assert_eq!(on_worker.len(), 1);
    assert_eq!(on_worker[0].trace_id, stored()[2].trace_id);

    let spans = jaeger.trace(stored()[2].trace_id).await.expect("trace");
    assert_eq!(spans, stored()[2..].to_vec());
    assert!(jaeger
        .trace(TraceId([9; 16]))
        .await
        .expect("missing")
        .is_empty());
}

#[tokio::test]
async fn a_refused_token_is_named_without_its_value() {
    let server = serve(Some(StatusCode::UNAUTHORIZED)).await;
    for (engine, path) in [(Engine::Tempo, "tempo/"), (Engine::Jaeger, "jaeger")] {
        let err = query(engine, &server, path)
            .trace(stored()[0].trace_id)
            .await
            .expect_err("refused");
        let text = err.to_string();
        assert!(
            matches!(err, QueryError::Refused { status: 401, .. }),
            "{text}"
        );
        assert!(text.contains("token_secret"), "{text}");
        assert!(!text.contains(TOKEN), "{text}");
        assert!(!format!("{:?}", query(engine, &server, path)).contains(TOKEN));
    }
}

#[tokio::test]
async fn a_server_error_and_an_unreachable_engine_are_clear_errors() {
    let server = serve(Some(StatusCode::INTERNAL_SERVER_ERROR)).await;
    let err = query(Engine::Tempo, &server, "tempo/")
        .search(&window())
        .await
        .expect_err("500");
    assert!(
        matches!(&err, QueryError::Status { status: 500, detail, .. } if detail.contains("denied")),
        "{err}"
    );

    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port");
    let nobody = TraceQuery::new(
        Engine::Jaeger,
        format!("http://{closed}/").parse().expect("url"),
        client(),
        None,
        None,
    );
    let err = nobody
        .trace(TraceId([1; 16]))
        .await
        .expect_err("unreachable");
    assert!(matches!(err, QueryError::Unreachable { .. }), "{err}");
    assert!(err.to_string().contains("connection refused"), "{err}");
}

#[tokio::test]
async fn an_engine_that_never_answers_times_out() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    // Accepts, reads nothing, answers nothing.
    let _held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    let slow = TraceQuery::new(
        Engine::Tempo,
        format!("http://{addr}/").parse().expect("url"),
        client_with(Duration::from_millis(300)),
        None,
        None,
    );
    let err = slow.search(&window()).await.expect_err("times out");
    assert!(err.to_string().contains("timed out"), "{err}");
}

/// Answers every request with a login page, as a misconfigured proxy does.
async fn login_page() -> Response {
    ([("content-type", "application/json")], "<html>login</html>").into_response()
}

#[tokio::test]
async fn an_answer_that_is_not_trace_data_is_malformed() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, Router::new().fallback(login_page)).await;
    });
    let base: url::Url = format!("http://{addr}/").parse().expect("url");
    for engine in [Engine::Tempo, Engine::Jaeger] {
        let q = TraceQuery::new(engine, base.clone(), client(), None, None);
        let err = q.trace(TraceId([1; 16])).await.expect_err("html");
        assert!(matches!(err, QueryError::Malformed { .. }), "{err}");
        let err = q.search(&window()).await.expect_err("html");
        assert!(matches!(err, QueryError::Malformed { .. }), "{err}");
    }
}

/// `traces list` and `traces show` on an environment whose traces live in
/// Tempo: the config names it, the token comes from the keychain (here its
/// environment-variable stand-in), and no output carries the token.
#[tokio::test]
async fn the_cli_lists_and_shows_traces_from_a_tempo_contract_server() {
    let server = serve(None).await;
    let mut env = TestEnv::new();
    env.set_env("READYROOM_SECRET_PROD_TEMPO_TOKEN", TOKEN);
    let config = env.config(&format!(
        "default_environment = \"prod\"\n\
         [environments.prod]\nbase_url = \"https://app.example.com\"\n\
         [environments.prod.traces]\ntempo_url = \"{}\"\ntoken_secret = \"prod/tempo-token\"\norg_id = \"team-a\"\n",
        server.url.join("tempo/").expect("url")
    ));
    let config = config.to_str().expect("path");
    let list = env
        .run(&[
            "--config", config, "traces", "list", "--since", "1000d", "--format", "json",
        ])
        .await;
    assert_eq!(list.code, 0, "{}", list.all_output());
    let view = list.json();
    assert!(
        view["source"]
            .as_str()
            .is_some_and(|s| s.starts_with("Tempo at http://")),
        "{view}"
    );
    let ids: Vec<&str> = view["traces"]
        .as_array()
        .expect("traces")
        .iter()
        .map(|t| t["traceId"].as_str().expect("id"))
        .collect();
    assert_eq!(
        ids,
        [
            "00000000000000000000000000000002",
            "00000000000000000000000000000001"
        ]
    );
    assert!(
        view["traces"][0]["spans"].is_null(),
        "Tempo's search does not count spans"
    );

    let show = env
        .run(&[
            "--config", config, "traces", "show", ids[0], "--format", "json",
        ])
        .await;
    assert_eq!(show.code, 0, "{}", show.all_output());
    let trace = show.json();
    assert_eq!(trace["spans"].as_array().map(Vec::len), Some(2));
    assert_eq!(trace["errorSpans"], 2);

    let missing = env
        .run(&[
            "--config",
            config,
            "traces",
            "show",
            "0123456789abcdef0123456789abcdef",
        ])
        .await;
    assert_ne!(missing.code, 0);
    assert!(
        missing.all_output().contains("Tempo at http://"),
        "{}",
        missing.all_output()
    );
    {
        let seen = server.seen.lock().expect("lock");
        assert!(
            seen.authorized.iter().all(|a| *a),
            "every request carried the token"
        );
        assert!(seen.org.iter().all(|o| o.as_deref() == Some("team-a")));
    }
    for run in [&list, &show, &missing] {
        assert!(
            !run.all_output().contains(TOKEN),
            "the token leaked: {}",
            run.all_output()
        );
    }
}

/// Tempo down: `traces list` says since when and lists what the local
/// span store holds, rather than failing the whole view.
#[tokio::test]
async fn an_unreachable_tempo_lists_the_local_store_and_says_since_when() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port");
    let env = TestEnv::new();
    let config = env.config(&format!(
        "[environments.prod]\n[environments.prod.traces]\ntempo_url = \"http://{closed}/\"\n"
    ));
    let config = config.to_str().expect("path");
    let list = env
        .run(&["--config", config, "traces", "list", "--format", "json"])
        .await;
    assert_eq!(list.code, 0, "{}", list.all_output());
    let view = list.json();
    assert_eq!(view["source"], "the local span store");
    let down = &view["remoteDown"];
    assert_eq!(down["source"], format!("Tempo at http://{closed}/"));
    assert!(
        time::OffsetDateTime::parse(
            down["since"].as_str().expect("since"),
            &time::format_description::well_known::Rfc3339
        )
        .is_ok(),
        "{down}"
    );
    assert!(
        down["error"]
            .as_str()
            .expect("error")
            .contains("connection refused"),
        "{down}"
    );
    let table = env.run(&["--config", config, "traces", "list"]).await;
    assert_eq!(table.code, 0, "{}", table.all_output());
    assert!(
        table.stdout.contains("has not answered since")
            && table.stdout.contains("local span store"),
        "{}",
        table.stdout
    );
}
