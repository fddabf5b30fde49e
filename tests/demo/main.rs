//! The demo production, as an operator would see it: health JSON, rate
//! limits per tier, retries on the AI route, usage rows matching the traffic
//! sent, and the score dropping after the incident drill. Every test runs
//! against SQLite and against PostgreSQL, through the same code.

use std::time::Duration;

use readyroom_demo::db::Workspace;
use readyroom_demo::llm::{RetryPolicy, UpstreamBehaviour};
use readyroom_demo::pricing::Tier;
use readyroom_demo::{Demo, Options};
use readyroom_tests::postgres::{fresh_database, TestDatabase};
use readyroom_tests::text;
use readyroom_tests::TestEnv;
use serde_json::Value;

/// A fast, quiet upstream for tests; `failure_rate` decides the flakiness.
fn options(database_url: String, failure_rate: f64) -> Options {
    Options {
        database_url,
        traffic: false,
        upstream: UpstreamBehaviour {
            failure_rate,
            min_latency_ms: 1,
            max_latency_ms: 5,
        },
        retry: RetryPolicy {
            max_attempts: 4,
            base: Duration::from_millis(2),
            cap: Duration::from_millis(20),
            max_retry_after: Duration::from_secs(5),
        },
        seed: 7,
        otlp_endpoint: None,
    }
}

enum Backend {
    Sqlite(tempfile::TempDir),
    Postgres(TestDatabase),
}

impl Backend {
    fn url(&self) -> String {
        match self {
            Backend::Sqlite(dir) => format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("demo-app.db").display()
            ),
            Backend::Postgres(db) => db.url.clone(),
        }
    }
}

async fn backends() -> Vec<(&'static str, Backend)> {
    vec![
        (
            "sqlite",
            Backend::Sqlite(tempfile::tempdir().expect("tempdir")),
        ),
        ("postgres", Backend::Postgres(fresh_database().await)),
    ]
}

/// Starts a quiet demo on `backend` and a client that trusts its CA.
async fn start(backend: &Backend, failure_rate: f64) -> (Demo, reqwest::Client) {
    let demo = Demo::start(options(backend.url(), failure_rate))
        .await
        .expect("demo starts");
    let client = demo.client().expect("client");
    (demo, client)
}

/// The demo's `/api/metrics` exposition.
async fn metrics_of(demo: &Demo, client: &reqwest::Client) -> String {
    client
        .get(format!("{}/api/metrics", demo.base_url()))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text")
}

/// The value of the sample line starting with `prefix` (name and labels,
/// then a space), as an integer.
fn gauge(metrics: &str, prefix: &str) -> Option<u64> {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(prefix))
        .and_then(|n| n.trim().parse().ok())
}

fn workspace(demo: &Demo, tier: Tier) -> Workspace {
    demo.workspaces
        .iter()
        .find(|w| w.tier == tier)
        .cloned()
        .expect("a workspace on every tier")
}

/// Waits out the last seconds of a minute so per-minute counts cannot reset mid-test.
async fn clear_of_minute_boundary() {
    let second = time::OffsetDateTime::now_utc().second();
    if second >= 50 {
        tokio::time::sleep(Duration::from_secs(u64::from(61 - second))).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn health_reports_version_commit_and_dependencies() {
    for (name, backend) in backends().await {
        let (demo, client) = start(&backend, 0.0).await;
        let r = client
            .get(format!("{}/api/health", demo.base_url()))
            .send()
            .await
            .expect("health");
        assert_eq!(r.status(), 200, "{name}");
        assert_eq!(
            r.headers()["strict-transport-security"],
            "max-age=63072000; includeSubDomains"
        );
        let body: Value = r.json().await.expect("json");
        assert_eq!(body["status"], "ok", "{name}: {body}");
        assert_eq!(body["version"], "2.14.0");
        assert!(body["commit"].as_str().is_some_and(|c| c.len() >= 7));
        assert_eq!(body["checks"]["database"]["status"], "ok", "{name}");
        assert_eq!(body["checks"]["llm"]["status"], "ok", "{name}");
        demo.shutdown();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn each_tier_is_limited_per_minute_with_the_right_headers() {
    for (name, backend) in backends().await {
        let (demo, client) = start(&backend, 0.0).await;
        let contacts = format!("{}/api/contacts", demo.base_url());
        let anonymous = client.get(&contacts).send().await.expect("anonymous");
        assert_eq!(anonymous.status(), 401);
        assert_eq!(
            anonymous.headers()["content-type"],
            "application/problem+json"
        );
        assert!(anonymous.headers().contains_key("x-ratelimit-limit"));

        clear_of_minute_boundary().await;
        let free = workspace(&demo, Tier::Free);
        for i in 1..=10u64 {
            let r = client
                .get(&contacts)
                .bearer_auth(&free.api_key)
                .send()
                .await
                .expect("request");
            assert_eq!(r.status(), 200, "{name}: request {i}");
            assert_eq!(r.headers()["x-ratelimit-limit"], "10");
            assert_eq!(
                r.headers()["x-ratelimit-remaining"],
                (10 - i).to_string().as_str()
            );
        }
        let over = client
            .get(&contacts)
            .bearer_auth(&free.api_key)
            .send()
            .await
            .expect("request");
        assert_eq!(over.status(), 429, "{name}");
        assert_eq!(over.headers()["x-ratelimit-remaining"], "0");
        let retry_after: u64 = over.headers()["retry-after"]
            .to_str()
            .expect("ascii")
            .parse()
            .expect("seconds");
        assert!((1..=60).contains(&retry_after));
        let problem: Value = over.json().await.expect("problem");
        assert_eq!(problem["status"], 429);
        assert!(
            problem["detail"]
                .as_str()
                .expect("detail")
                .contains("per-minute"),
            "{problem}"
        );

        let starter = workspace(&demo, Tier::Starter);
        let ok = client
            .get(&contacts)
            .bearer_auth(&starter.api_key)
            .send()
            .await
            .expect("request");
        assert_eq!(ok.status(), 200, "another workspace is not affected");
        assert_eq!(ok.headers()["x-ratelimit-limit"], "30");
        demo.shutdown();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_ai_route_retries_a_flaky_upstream_and_gives_up_clearly() {
    for (name, backend) in backends().await {
        let (demo, client) = start(&backend, 0.5).await;
        let ai = format!("{}/api/ai/summarize", demo.base_url());
        let ws = workspace(&demo, Tier::Enterprise);
        let mut retried = 0;
        for _ in 0..12 {
            let r = client
                .post(&ai)
                .bearer_auth(&ws.api_key)
                .json(&serde_json::json!({"text": "renewal question"}))
                .send()
                .await
                .expect("ai");
            if r.status() == 200 {
                let body: Value = r.json().await.expect("json");
                if body["attempts"].as_u64() > Some(1) {
                    retried += 1;
                }
            } else {
                assert_eq!(r.status(), 502, "{name}");
            }
        }
        assert!(
            retried > 0,
            "{name}: with half the attempts failing, some calls must succeed only after retrying"
        );
        assert!(
            demo.upstream
                .attempts
                .load(std::sync::atomic::Ordering::Relaxed)
                > 12,
            "{name}: more attempts than calls"
        );

        demo.upstream.set(UpstreamBehaviour {
            failure_rate: 1.0,
            min_latency_ms: 1,
            max_latency_ms: 2,
        });
        let r = client
            .post(&ai)
            .bearer_auth(&ws.api_key)
            .json(&serde_json::json!({"text": "x"}))
            .send()
            .await
            .expect("ai");
        assert_eq!(r.status(), 502, "{name}");
        assert_eq!(r.headers()["x-ai-attempts"], "4");
        let problem: Value = r.json().await.expect("problem");
        assert!(
            problem["detail"]
                .as_str()
                .expect("detail")
                .contains("failed after 4 attempt(s)"),
            "{problem}"
        );
        let metrics = metrics_of(&demo, &client).await;
        let retries = gauge(&metrics, "llm_retries_total ").expect("llm_retries_total");
        assert!(retries >= 3, "{name}: {metrics}");
        demo.shutdown();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn usage_rows_match_the_traffic_sent() {
    for (name, backend) in backends().await {
        let (demo, client) = start(&backend, 0.0).await;
        let base = demo.base_url();
        clear_of_minute_boundary().await;
        let pro = workspace(&demo, Tier::Professional);
        for _ in 0..7 {
            assert_eq!(
                client
                    .get(format!("{base}/api/campaigns"))
                    .bearer_auth(&pro.api_key)
                    .send()
                    .await
                    .expect("r")
                    .status(),
                200
            );
        }
        for _ in 0..2 {
            let r = client
                .post(format!("{base}/api/ai/summarize"))
                .bearer_auth(&pro.api_key)
                .json(&serde_json::json!({"text": "hello"}))
                .send()
                .await
                .expect("ai");
            assert_eq!(r.status(), 200);
        }
        let free = workspace(&demo, Tier::Free);
        for _ in 0..13 {
            client
                .get(format!("{base}/api/contacts"))
                .bearer_auth(&free.api_key)
                .send()
                .await
                .expect("r");
        }
        let anonymous = client
            .get(format!("{base}/api/usage"))
            .send()
            .await
            .expect("usage");
        assert_eq!(anonymous.status(), 401, "usage is the app's own data");
        let usage: Value = client
            .get(format!("{base}/api/usage"))
            .bearer_auth(&demo.usage_token)
            .send()
            .await
            .expect("usage")
            .json()
            .await
            .expect("json");
        let rows = usage["rows"].as_array().expect("rows");
        let row = |ws: &str, window: &str| {
            rows.iter()
                .find(|r| r["workspace_id"] == ws && r["window"] == window)
                .cloned()
                .unwrap_or_default()
        };
        for window in ["minute", "hour", "day"] {
            let r = row(&pro.id, window);
            assert_eq!(r["requests"], 9, "{name} {window}: {r}");
            assert_eq!(r["ai_calls"], 2, "{name} {window}");
            assert!(r["ai_tokens"].as_i64() > Some(0));
            assert_eq!(r["tier"], "professional");
            let f = row(&free.id, window);
            assert_eq!(
                (f["requests"].clone(), f["throttled"].clone()),
                (10.into(), 3.into()),
                "{name} {window}: {f}"
            );
        }
        demo.shutdown();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_view_follows_the_quota_data_contract_in_postgres() {
    let db = fresh_database().await;
    let demo = Demo::start(options(db.url.clone(), 0.0))
        .await
        .expect("demo starts");
    let client = demo.client().expect("client");
    let ws = workspace(&demo, Tier::Starter);
    client
        .get(format!("{}/api/contacts", demo.base_url()))
        .bearer_auth(&ws.api_key)
        .send()
        .await
        .expect("r");
    demo.shutdown();
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&db.url).await.expect("connect");
    let columns: Vec<(String, String)> = sqlx::query_as(
        "SELECT column_name::text, data_type::text FROM information_schema.columns WHERE table_name = 'readyroom_usage' ORDER BY ordinal_position",
    )
    .fetch_all(&mut conn)
    .await
    .expect("columns");
    let expected = [
        ("workspace_id", "text"),
        ("workspace_name", "text"),
        ("tier", "text"),
        ("window", "text"),
        ("window_start", "timestamp with time zone"),
        ("requests", "bigint"),
        ("ai_calls", "bigint"),
        ("ai_tokens", "bigint"),
        ("throttled", "bigint"),
    ];
    let got: Vec<(&str, &str)> = columns
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    assert_eq!(got, expected);
    let n: i64 = sqlx::query_scalar(
        "SELECT requests FROM readyroom_usage WHERE workspace_id = $1 AND \"window\" = 'day'",
    )
    .bind(&ws.id)
    .fetch_one(&mut conn)
    .await
    .expect("row");
    assert_eq!(n, 1);
    conn.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_score_drops_after_the_incident_drill_with_reasons() {
    for (name, backend) in backends().await {
        let demo = Demo::start(options(backend.url(), 0.05))
            .await
            .expect("demo starts");
        let env = TestEnv::new();
        let ca = env.write("demo-ca.pem", &demo.ca_pem);
        let config = env.config(&demo.config_toml(&ca.display().to_string(), &Default::default()));
        let path = config.to_str().expect("utf8");
        let healthy = env.score_json(path).await;
        assert_eq!(healthy.code, 0, "{}", healthy.all_output());
        assert_eq!(
            healthy.check("infra.health_endpoint")["outcome"],
            "pass",
            "{name}"
        );
        assert_eq!(
            healthy.check("infra.health_dependencies")["outcome"],
            "pass",
            "{name}"
        );
        let released = demo.drill().expect("a bad release exists");
        assert_eq!(released.version, "2.15.0");
        let incident = env.score_json(path).await;
        // The app pool's gauges are read at one instant, which the
        // scorecard's own probes can catch busy even on the good release;
        // the drill's effect is judged on the other checks, and what moved
        // is in the message.
        let gauges = ["infra.db_pooling", "rel.pool_wait"];
        let mut moved = Vec::new();
        let (mut before, mut after) = (0.0, 0.0);
        for cat in healthy.json()["categories"].as_array().expect("categories") {
            for c in cat["checks"].as_array().expect("checks") {
                let id = c["id"].as_str().expect("id");
                let later = incident.check(id);
                if later["earned"] != c["earned"] {
                    moved.push(format!("{id}: {} -> {}", c["earned"], later["earned"]));
                }
                if !gauges.contains(&id) {
                    before += c["earned"].as_f64().expect("earned");
                    after += later["earned"].as_f64().expect("earned");
                }
            }
        }
        assert!(
            after < before,
            "{name}: {before} -> {after}; moved: {moved:?}"
        );
        let deps = incident.check("infra.health_dependencies");
        assert_ne!(deps["outcome"], "pass", "{name}: {deps}");
        assert!(text(&deps, "explanation").contains("database"), "{deps}");
        let latency = incident.check("perf.health_latency");
        assert_eq!(latency["outcome"], "fail", "{name}: {latency}");

        // Under the bad release, slow queries hold the pool's connections:
        // a burst of requests has to wait for one.
        let client = demo.client().expect("client");
        let ws = workspace(&demo, Tier::Enterprise);
        let burst: Vec<_> = (0..12)
            .map(|_| {
                let request = client
                    .get(format!("{}/api/contacts", demo.base_url()))
                    .bearer_auth(&ws.api_key)
                    .send();
                tokio::spawn(request)
            })
            .collect();
        // The burst needs its TLS handshakes before it queues (slow on a
        // busy machine): the gauges are read until they show the pool
        // saturated, or for at most 10 s.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let metrics = loop {
            let metrics = metrics_of(&demo, &client).await;
            // Saturated: every connection in use (the pool opens them as
            // needed, so a waiter can show before that) and some waiting.
            let saturated = gauge(&metrics, "demo_db_pool_connections{state=\"in_use\"} ")
                == Some(5)
                && gauge(&metrics, "demo_db_pool_waiting ").is_some_and(|w| w > 0);
            if saturated || std::time::Instant::now() > deadline {
                break metrics;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(
            gauge(&metrics, "demo_db_pool_connections{state=\"in_use\"} "),
            Some(5),
            "{name}: the pool is saturated: {metrics}"
        );
        assert!(
            gauge(&metrics, "demo_db_pool_waiting ").is_some_and(|w| w > 0),
            "{name}: requests wait for a connection: {metrics}"
        );
        for request in burst {
            let _ = request.await;
        }
        demo.shutdown();
    }
}

/// A test-local OTLP/HTTP receiver built on `opentelemetry-proto`: it
/// decodes each export request and keeps the spans.
mod otlp {
    use std::sync::{Arc, Mutex};

    use axum::body::Bytes;
    use axum::extract::State;
    use axum::routing::post;
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use opentelemetry_proto::tonic::trace::v1::Span;
    use prost::Message;

    pub type Spans = Arc<Mutex<Vec<(String, Span)>>>;

    async fn traces(State(spans): State<Spans>, body: Bytes) -> axum::http::StatusCode {
        let Ok(request) = ExportTraceServiceRequest::decode(body) else {
            return axum::http::StatusCode::BAD_REQUEST;
        };
        let mut all = spans.lock().expect("lock");
        for rs in request.resource_spans {
            let service = rs
                .resource
                .iter()
                .flat_map(|r| r.attributes.iter())
                .find(|kv| kv.key == "service.name")
                .and_then(|kv| kv.value.as_ref())
                .map(|v| format!("{:?}", v.value))
                .unwrap_or_default();
            for ss in rs.scope_spans {
                for span in ss.spans {
                    all.push((service.clone(), span));
                }
            }
        }
        axum::http::StatusCode::OK
    }

    pub fn start() -> (String, Spans) {
        let spans: Spans = Arc::default();
        let app = axum::Router::new()
            .route("/v1/traces", post(traces))
            .with_state(spans.clone());
        let addr = readyroom_tests::targets::serve_http(app);
        (format!("http://{addr}"), spans)
    }

    pub fn attr(span: &Span, key: &str) -> Option<String> {
        span.attributes
            .iter()
            .find(|kv| kv.key == key)
            .and_then(|kv| kv.value.as_ref())
            .map(|v| match &v.value {
                Some(opentelemetry_proto::tonic::common::v1::any_value::Value::StringValue(s)) => {
                    s.clone()
                }
                Some(opentelemetry_proto::tonic::common::v1::any_value::Value::IntValue(i)) => {
                    i.to_string()
                }
                other => format!("{other:?}"),
            })
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn traces_reach_an_otlp_receiver_with_server_db_and_llm_spans() {
    use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
    for (name, backend) in backends().await {
        let (endpoint, spans) = otlp::start();
        let mut opts = options(backend.url(), 0.5);
        opts.otlp_endpoint = Some(endpoint);
        let demo = Demo::start(opts).await.expect("demo starts");
        let client = demo.client().expect("client");
        let ws = workspace(&demo, Tier::Enterprise);
        client
            .get(format!("{}/api/contacts", demo.base_url()))
            .bearer_auth(&ws.api_key)
            .send()
            .await
            .expect("r");
        let mut calls = 0;
        while demo
            .upstream
            .attempts
            .load(std::sync::atomic::Ordering::Relaxed)
            < 6
            && calls < 20
        {
            client
                .post(format!("{}/api/ai/summarize", demo.base_url()))
                .bearer_auth(&ws.api_key)
                .json(&serde_json::json!({"text": "hi"}))
                .send()
                .await
                .expect("ai");
            calls += 1;
        }
        demo.flush_traces().await;
        demo.shutdown();
        let spans = spans.lock().expect("lock").clone();
        assert!(
            spans
                .iter()
                .all(|(service, _)| service.contains("acme-crm-api")),
            "{name}: service.name"
        );
        let server: Vec<_> = spans
            .iter()
            .map(|(_, s)| s)
            .filter(|s| s.kind == SpanKind::Server as i32)
            .collect();
        assert!(
            server.iter().any(|s| s.name == "GET /api/contacts"
                && otlp::attr(s, "http.response.status_code").as_deref() == Some("200")),
            "{name}"
        );
        // The wait for a pool connection, as the `pg` instrumentation
        // names it, under the request, before its query.
        let acquires: Vec<_> = spans
            .iter()
            .map(|(_, s)| s)
            .filter(|s| s.name == "pg-pool.connect")
            .collect();
        assert!(!acquires.is_empty(), "{name}: acquire spans");
        assert!(acquires.iter().all(|s| s.kind == SpanKind::Internal as i32));
        assert!(
            acquires
                .iter()
                .all(|a| server.iter().any(|s| s.span_id == a.parent_span_id)),
            "{name}: each acquire is a child of a request"
        );
        let db: Vec<_> = spans
            .iter()
            .map(|(_, s)| s)
            .filter(|s| otlp::attr(s, "db.system").is_some() && s.name != "pg-pool.connect")
            .collect();
        let expected_db = if name == "postgres" {
            "postgresql"
        } else {
            "sqlite"
        };
        assert!(
            !db.is_empty()
                && db
                    .iter()
                    .all(|s| otlp::attr(s, "db.system").as_deref() == Some(expected_db)),
            "{name}: db spans"
        );
        assert!(db.iter().all(|s| s.kind == SpanKind::Client as i32));
        let llm: Vec<_> = spans
            .iter()
            .map(|(_, s)| s)
            .filter(|s| otlp::attr(s, "gen_ai.operation.name").is_some())
            .collect();
        let attempts = demo
            .upstream
            .attempts
            .load(std::sync::atomic::Ordering::Relaxed) as usize;
        assert_eq!(
            llm.len(),
            attempts,
            "{name}: one LLM span per upstream attempt"
        );
        assert!(
            llm.iter().any(|s| otlp::attr(s, "error.type").is_some()),
            "{name}: failed attempts are marked"
        );
        assert!(
            llm.iter()
                .any(|s| otlp::attr(s, "gen_ai.usage.output_tokens").is_some()),
            "{name}: token usage recorded"
        );
        // Every LLM attempt hangs off its request's server span, in one trace.
        for s in &llm {
            let parent = server
                .iter()
                .find(|p| p.span_id == s.parent_span_id)
                .unwrap_or_else(|| panic!("{name}: orphan LLM span"));
            assert_eq!(parent.trace_id, s.trace_id);
            assert_eq!(parent.name, "POST /api/ai/summarize");
        }
    }
}
