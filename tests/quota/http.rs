//! The HTTP quota source against local usage endpoints (the operator's own
//! app, served here as it would answer): pages followed by a body `next`
//! and by a `Link` header with the bearer token on each, never to another
//! origin; a refused token, malformed rows, an oversized page, too many
//! pages and an endpoint that never answers each fail with what to do,
//! and the token appears in none of those messages.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use readyroom_core::quota::{Limit, ListRequest, Plans, QuotaReading};
use readyroom_core::Sensitive;
use readyroom_sources::quota::http::{UsageEndpoint, UsageError, MAX_PAGES};
use readyroom_tests::targets::{serve_hanging, serve_http};
use serde_json::{json, Value};
use time::OffsetDateTime;
use url::Url;

const TOKEN: &str = "usage-tok-81c2-never-shown";

fn client(timeout: Duration) -> reqwest::Client {
    readyroom_sources::http::client(
        &readyroom_sources::trust::ExtraRoots::default(),
        timeout,
        readyroom_sources::http::Redirects::Keep,
    )
    .expect("client")
}

fn endpoint(url: &str) -> UsageEndpoint {
    UsageEndpoint {
        url: Url::parse(url).expect("url"),
        client: client(Duration::from_secs(5)),
        token: Some(Sensitive::new(TOKEN.to_string())),
    }
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .expect("format")
}

/// Ten workspaces' minute rows, workspace `i` using `i + 3` requests of
/// free's 10: three near (8, 9, 10), two over (11, 12).
fn rows() -> Vec<Value> {
    let start = rfc3339(OffsetDateTime::now_utc() - time::Duration::seconds(20));
    (0..10)
        .map(|i| {
            json!({
                "workspace_id": format!("ws{i}"), "workspace_name": format!("Workspace {i}"),
                "tier": "free", "window": "minute", "window_start": start,
                "requests": i + 3, "ai_calls": null, "ai_tokens": null, "throttled": if i > 7 { 1 } else { 0 },
                "extra_column": "ignored",
            })
        })
        .collect()
}

#[derive(Clone)]
struct Usage {
    rows: Arc<Vec<Value>>,
    hits: Arc<AtomicUsize>,
}

fn authorized(headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bearer {TOKEN}"))
}

/// Three rows a page: the body's `next` (relative) on even pages, a
/// `Link` header on odd ones.
async fn paged(
    State(usage): State<Usage>,
    headers: HeaderMap,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Response {
    usage.hits.fetch_add(1, Ordering::SeqCst);
    if !authorized(&headers) {
        return (StatusCode::UNAUTHORIZED, "bad token").into_response();
    }
    let page: usize = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(0);
    let chunk: Vec<Value> = usage.rows.iter().skip(page * 3).take(3).cloned().collect();
    let more = (page + 1) * 3 < usage.rows.len();
    let next = format!("/usage?page={}", page + 1);
    if page.is_multiple_of(2) {
        axum::Json(
            json!({ "rows": chunk, "next": if more { Value::String(next) } else { Value::Null } }),
        )
        .into_response()
    } else {
        let mut response = axum::Json(json!(chunk)).into_response();
        if more {
            let link = format!("<{next}>; rel=\"next\"").parse().expect("header");
            response.headers_mut().insert(header::LINK, link);
        }
        response
    }
}

fn usage_server(rows: Vec<Value>) -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let state = Usage {
        rows: Arc::new(rows),
        hits: hits.clone(),
    };
    let router = Router::new().route("/usage", get(paged)).with_state(state);
    (format!("http://{}/usage", serve_http(router)), hits)
}

fn assert_no_token(message: &str) {
    assert!(!message.contains(TOKEN), "the token leaked: {message}");
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_are_followed_by_body_and_link_with_the_token_and_summed_in_rust() {
    let (url, hits) = usage_server(rows());
    let read = endpoint(&url).rows().await.expect("usage");
    assert_eq!(hits.load(Ordering::SeqCst), 4, "ten rows, three a page");
    assert_eq!(read.len(), 10);
    assert_eq!(read[9].workspace_id, "ws9");
    assert_eq!(read[9].requests, Some(12));
    assert_eq!(read[0].ai_calls, None, "null is nothing");

    let plans = Plans::default();
    let reading = QuotaReading::of_rows(
        &read,
        &plans,
        &ListRequest {
            tier: None,
            cap: 50,
        },
        OffsetDateTime::now_utc(),
    );
    let free = &reading.tiers[0];
    assert_eq!((free.tier.as_str(), free.workspaces), ("free", 10));
    assert_eq!(free.windows[0].requests, (3..13).sum::<i64>());
    assert_eq!(free.windows[0].throttled, 2);
    let rpm = free
        .limits
        .iter()
        .find(|c| c.limit == Limit::RequestsPerMinute)
        .expect("rpm");
    assert_eq!((rpm.near, rpm.over), (3, 2));
    let over: Vec<&str> = reading.lists[0]
        .workspaces
        .iter()
        .map(|w| w.workspace_id.as_str())
        .collect();
    assert_eq!(over, ["ws9", "ws8"], "the heaviest first");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_token_says_which_entry_to_fix_and_never_shows_it() {
    let (url, _) = usage_server(rows());
    let mut wrong = endpoint(&url);
    wrong.token = Some(Sensitive::new("not-the-token".to_string()));
    let err = wrong.rows().await.expect_err("refused");
    assert!(
        matches!(err, UsageError::Refused { status: 401, .. }),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(message.contains("token_secret"), "{message}");
    assert!(!message.contains("not-the-token"), "{message}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_next_page_on_another_origin_is_refused_before_the_token_goes_there() {
    let elsewhere_hits = Arc::new(AtomicUsize::new(0));
    let counted = elsewhere_hits.clone();
    let elsewhere = serve_http(Router::new().route(
        "/steal",
        get(move || {
            counted.fetch_add(1, Ordering::SeqCst);
            async { "[]" }
        }),
    ));
    // Another port of the same host is another origin too.
    let next = format!("http://{elsewhere}/steal");
    let first = serve_http(Router::new().route(
        "/usage",
        get(move || {
            let next = next.clone();
            async move { axum::Json(json!({ "rows": [], "next": next })) }
        }),
    ));
    let err = endpoint(&format!("http://{first}/usage"))
        .rows()
        .await
        .expect_err("refused");
    assert!(
        matches!(
            err,
            UsageError::NextElsewhere {
                why: "another port",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(elsewhere_hits.load(Ordering::SeqCst), 0, "never asked");
    assert_no_token(&err.to_string());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_malformed_row_is_named_by_number_and_column() {
    let mut bad = rows();
    bad[4]["requests"] = json!("5");
    let (url, _) = usage_server(bad);
    let err = endpoint(&url).rows().await.expect_err("malformed");
    let message = err.to_string();
    assert!(
        message.contains("row 5, column requests: invalid type: string \"5\", expected i64"),
        "{message}"
    );

    let mut missing = rows();
    missing[0].as_object_mut().expect("row").remove("tier");
    let (url, _) = usage_server(missing);
    let message = endpoint(&url)
        .rows()
        .await
        .expect_err("missing")
        .to_string();
    assert!(message.contains("row 1: missing field `tier`"), "{message}");

    let mut window = rows();
    window[2]["window"] = json!("week");
    let (url, _) = usage_server(window);
    let message = endpoint(&url).rows().await.expect_err("window").to_string();
    assert!(
        message.contains("row 3, column window: \"week\" is not minute, hour or day"),
        "{message}"
    );

    let not_rows = serve_http(Router::new().route("/usage", get(|| async { "{\"data\": []}" })));
    let message = endpoint(&format!("http://{not_rows}/usage"))
        .rows()
        .await
        .expect_err("shape")
        .to_string();
    assert!(message.contains("an object without \"rows\""), "{message}");
    assert_no_token(&message);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_oversized_page_too_many_pages_and_a_silent_endpoint_each_stop_with_a_reason() {
    // A page past 16 MiB, streamed without a length.
    let huge = serve_http(Router::new().route(
        "/usage",
        get(|| async {
            let chunk = "[".to_string() + &"{\"a\": 1},".repeat(200_000);
            let chunks = (0..20).map(move |_| Ok::<_, std::io::Error>(chunk.clone()));
            axum::body::Body::from_stream(futures::stream::iter(chunks))
        }),
    ));
    let err = endpoint(&format!("http://{huge}/usage"))
        .rows()
        .await
        .expect_err("too large");
    assert!(matches!(err, UsageError::TooLarge { .. }), "{err:?}");
    assert!(err.to_string().contains("more than 16 MiB"), "{err}");

    // Every page names a next one.
    let endless = serve_http(Router::new().route(
        "/usage",
        get(
            |Query(q): Query<std::collections::HashMap<String, String>>| async move {
                let page: u64 = q.get("p").and_then(|p| p.parse().ok()).unwrap_or(0);
                axum::Json(json!({ "rows": [], "next": format!("/usage?p={}", page + 1) }))
            },
        ),
    ));
    let err = endpoint(&format!("http://{endless}/usage"))
        .rows()
        .await
        .expect_err("endless");
    assert!(matches!(err, UsageError::TooManyPages { .. }), "{err:?}");
    assert!(err
        .to_string()
        .contains(&format!("more than {MAX_PAGES} pages")));

    // A next link back to a page already read.
    let looping = serve_http(Router::new().route(
        "/usage",
        get(|| async { axum::Json(json!({ "rows": [], "next": "/usage" })) }),
    ));
    let message = endpoint(&format!("http://{looping}/usage"))
        .rows()
        .await
        .expect_err("loop")
        .to_string();
    assert!(message.contains("a page already read"), "{message}");

    // Accepts, never answers: the client's timeout ends it.
    let silent = serve_hanging();
    let mut slow = endpoint(&format!("http://{silent}/usage"));
    slow.client = client(Duration::from_millis(500));
    let err = slow.rows().await.expect_err("silent");
    assert!(matches!(err, UsageError::Unreachable { .. }), "{err:?}");
    assert!(err.to_string().contains("did not answer"), "{err}");
    assert_no_token(&err.to_string());
}
