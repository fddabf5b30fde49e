//! Benchmark: per-route request rate, errors and p50/p95/p99 over
//! 1,000,000 stored SERVER spans (200 service/route pairs), Readyroom's span
//! store (SQLite, streamed into HDR histograms) against DuckDB answering
//! the same question over the same rows (issue 9: under 500 ms, and no
//! slower than DuckDB).
//!
//! DuckDB gets its best case: the rows (service, route, duration, failed)
//! loaded into an in-memory table first, untimed; only the query is timed.
//! Readyroom's time is the whole `route_stats` call on its span store file,
//! as `traces stats` makes it.
//!
//! Run with `scripts/bench-traces` (it installs duckdb from PyPI), or
//! `cargo bench -p readyroom-tests --bench route_stats` with
//! READYROOM_PYTHON naming a Python that has duckdb.

use std::io::Write;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use readyroom_core::traces::{Attributes, Span, SpanId, SpanKind, StatusCode, TraceId, Value};
use readyroom_store::{Attributed, SpanStore};

const SPANS: u64 = 1_000_000;
const SERVICES: u64 = 20;
const ROUTES: u64 = 10;
const RUNS: usize = 5;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let python = std::env::var("READYROOM_PYTHON")
        .expect("READYROOM_PYTHON: a Python with duckdb (scripts/bench-traces sets it)");
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SpanStore::open(&dir.path().join("spans.db"))
        .await
        .expect("span store");
    let csv_path = dir.path().join("rows.csv");
    let mut csv = std::io::BufWriter::new(std::fs::File::create(&csv_path).expect("csv"));
    writeln!(csv, "service,route,duration_ns,failed").expect("csv");

    // The same rows to both: durations log-uniform from 1 ms to 2 s, 1 %
    // failed, spread over the last hour.
    let mut rng = rand::rngs::StdRng::seed_from_u64(9);
    let now = u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos()).expect("now");
    let started = Instant::now();
    let batch_size = 10_000u64;
    for b in 0..SPANS / batch_size {
        let spans: Vec<Span> = (0..batch_size)
            .map(|i| {
                let n = b * batch_size + i;
                let service = format!("svc-{}", n % SERVICES);
                let route = format!("/api/r{}/{{id}}", (n / SERVICES) % ROUTES);
                let duration = (1e6 * 2_000f64.powf(rng.random::<f64>())) as u64;
                let failed = rng.random_bool(0.01);
                writeln!(csv, "{service},{route},{duration},{}", u8::from(failed)).expect("csv");
                let mut trace = [0u8; 16];
                trace[..8].copy_from_slice(&(n + 1).to_be_bytes());
                let start = now - 3_600_000_000_000 + n * 3_600_000;
                Span {
                    trace_id: TraceId(trace),
                    span_id: SpanId((n + 1).to_be_bytes()),
                    parent_span_id: None,
                    service,
                    name: format!("GET {route}"),
                    kind: SpanKind::Server,
                    start_unix_nano: start,
                    end_unix_nano: start + duration,
                    status: if failed {
                        StatusCode::Error
                    } else {
                        StatusCode::Unset
                    },
                    status_message: String::new(),
                    attributes: Attributes(vec![
                        ("http.route".into(), Value::String(route)),
                        (
                            "http.response.status_code".into(),
                            Value::Int(if failed { 500 } else { 200 }),
                        ),
                    ]),
                    events: Vec::new(),
                    links: Vec::new(),
                    resource: Default::default(),
                }
            })
            .collect();
        let batch: Vec<Attributed> = spans
            .into_iter()
            .map(|span| Attributed {
                environment: Some("bench".into()),
                span,
            })
            .collect();
        store.insert(batch, now).await.expect("insert");
    }
    csv.flush().expect("csv");
    drop(csv);
    println!(
        "stored {SPANS} SERVER spans ({} service/route pairs) in {:.1} s\n",
        SERVICES * ROUTES,
        started.elapsed().as_secs_f64()
    );

    let (from, to) = (now - 7_200_000_000_000, now + 1);
    let mut times = Vec::new();
    let mut rows = Vec::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        rows = store
            .route_stats("bench", from, to)
            .await
            .expect("route stats")
            .finish(3_600.0);
        times.push(t.elapsed());
    }
    let ours = median(times);
    assert_eq!(rows.len() as u64, SERVICES * ROUTES);
    assert_eq!(rows.iter().map(|r| r.requests).sum::<u64>(), SPANS);

    let script =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python/route_stats_duckdb.py");
    let out = std::process::Command::new(&python)
        .arg(&script)
        .arg(&csv_path)
        .arg(RUNS.to_string())
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "duckdb: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let duck: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("JSON from the script");
    let duck_ms = duck["median_ms"].as_f64().expect("median");
    let first = &rows[0];
    let duck_row = duck["rows"]
        .as_array()
        .and_then(|r| {
            r.iter().find(|x| {
                x["service"] == first.service.as_str() && x["route"] == first.route.as_str()
            })
        })
        .expect("the same route in DuckDB's answer");
    println!(
        "Readyroom span store (SQLite + HDR histograms): median {:.0} ms over {RUNS} runs (target < 500 ms)",
        ours.as_secs_f64() * 1_000.0
    );
    println!(
        "DuckDB {} (in-memory table, quantile_cont):     median {duck_ms:.0} ms over {RUNS} runs",
        duck["version"].as_str().unwrap_or("?")
    );
    println!(
        "Readyroom / DuckDB time: {:.2}x (target <= 1x)\n",
        ours.as_secs_f64() * 1_000.0 / duck_ms
    );
    println!(
        "check, {} {}: requests {} vs {}; p50 {:.1} vs {:.1} ms; p95 {:.1} vs {:.1} ms; p99 {:.1} vs {:.1} ms",
        first.service,
        first.route,
        first.requests,
        duck_row["requests"],
        first.p50_ms,
        duck_row["p50_ms"].as_f64().unwrap_or(f64::NAN),
        first.p95_ms,
        duck_row["p95_ms"].as_f64().unwrap_or(f64::NAN),
        first.p99_ms,
        duck_row["p99_ms"].as_f64().unwrap_or(f64::NAN),
    );
}
