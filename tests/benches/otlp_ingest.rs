//! Benchmark: OTLP/HTTP protobuf ingest, 1,000-span batches over several
//! connections, against `rotel-agent --exporter blackhole` measured in the
//! same run with the same load and payloads (issue 9):
//! - Readyroom durable (`readyroom otlp`, stored in the span store): target
//!   at least 0.5x rotel's spans/s;
//! - Readyroom in memory (the receiver's HTTP, decode and span conversion,
//!   then dropped, in this process): target at least 1x.
//!
//! Also the durable receiver's peak memory (VmHWM), which back-pressure
//! (503 past 8 exports in flight) keeps bounded under overload.
//!
//! Run with `scripts/bench-traces` (builds the release binary and installs
//! rotel from PyPI), or `cargo bench -p readyroom-tests --bench
//! otlp_ingest` with READYROOM_BIN and ROTEL_AGENT set. Options:
//! `-- --seconds N --connections N`.

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::common::v1::any_value;
use opentelemetry_proto::tonic::trace::v1::{Span, Status};
use prost::Message;
use readyroom_sources::otlp::{http_router, serve_http, ReceiverLimits, SpanSink};
use readyroom_sources::BoxFuture;
use readyroom_tests::otlp::{self, kv};

const SPANS_PER_BATCH: u64 = 1_000;

/// A realistic batch: 1,000 spans of 100 traces (a SERVER span and nine
/// children each), semantic-convention attributes, unique ids per batch
/// (`seq`) so a store cannot skip repeats.
fn batch(seq: u64) -> Vec<u8> {
    let now = 1_760_000_000_000_000_000u64 + seq * 1_000_000;
    let mut spans = Vec::with_capacity(SPANS_PER_BATCH as usize);
    for n in 0..SPANS_PER_BATCH {
        let trace = seq * 100 + n / 10;
        let mut trace_id = [0u8; 16];
        trace_id[..8].copy_from_slice(&trace.to_be_bytes());
        trace_id[15] = 1;
        let span_id = (seq * SPANS_PER_BATCH + n + 1).to_be_bytes().to_vec();
        let root = n % 10 == 0;
        let parent = (seq * SPANS_PER_BATCH + n - n % 10 + 1)
            .to_be_bytes()
            .to_vec();
        let s = |v: &str| any_value::Value::StringValue(v.into());
        spans.push(Span {
            trace_id: trace_id.to_vec(),
            span_id,
            parent_span_id: if root { Vec::new() } else { parent },
            name: if root {
                "GET /api/contacts/{id}".into()
            } else {
                "SELECT contacts".into()
            },
            kind: if root { 2 } else { 3 },
            start_time_unix_nano: now + n * 1_000,
            end_time_unix_nano: now + n * 1_000 + 2_500_000,
            attributes: if root {
                vec![
                    kv("http.request.method", s("GET")),
                    kv("http.route", s("/api/contacts/{id}")),
                    kv("http.response.status_code", any_value::Value::IntValue(200)),
                    kv("url.path", s("/api/contacts/c_123")),
                    kv("user_agent.original", s("Mozilla/5.0 (X11; Linux x86_64)")),
                ]
            } else {
                vec![
                    kv("db.system", s("postgresql")),
                    kv("db.operation.name", s("SELECT")),
                    kv("db.collection.name", s("contacts")),
                    kv("server.address", s("db.internal")),
                    kv(
                        "db.query.text",
                        s("SELECT id, name FROM contacts WHERE id = $1"),
                    ),
                ]
            },
            status: Some(Status::default()),
            ..Default::default()
        });
    }
    otlp::request("bench", "bench", spans).encode_to_vec()
}

struct Load {
    accepted_spans: u64,
    refused: u64,
    elapsed: Duration,
}

/// `connections` loops, each posting batches back to back for `seconds`.
/// Batches are encoded ahead (a pool reused round-robin with fresh ids per
/// round would cost the client time; distinct ones are cheap enough).
async fn load(url: &str, connections: usize, seconds: u64, payloads: Arc<Vec<Vec<u8>>>) -> Load {
    let accepted = Arc::new(AtomicU64::new(0));
    let refused = Arc::new(AtomicU64::new(0));
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (accepted, refused, next, payloads) = (
            accepted.clone(),
            refused.clone(),
            next.clone(),
            payloads.clone(),
        );
        let url = url.to_string();
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .build()
                .expect("client");
            while Instant::now() < deadline {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize % payloads.len();
                let answer = client
                    .post(&url)
                    .header("content-type", "application/x-protobuf")
                    .body(payloads[i].clone())
                    .send()
                    .await;
                match answer {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        accepted.fetch_add(SPANS_PER_BATCH, Ordering::Relaxed);
                    }
                    Ok(r) => {
                        let _ = r.bytes().await;
                        refused.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                    Err(_) => {
                        refused.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    Load {
        accepted_spans: accepted.load(Ordering::Relaxed),
        refused: refused.load(Ordering::Relaxed),
        elapsed: started.elapsed(),
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn until_listening(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "nothing listened on {port}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Drops what it is given, counting spans: the receiver without the store.
struct Discard(AtomicU64);

impl SpanSink for Discard {
    fn ingest(
        &self,
        spans: Vec<readyroom_core::traces::Span>,
    ) -> BoxFuture<'_, Result<(), String>> {
        self.0.fetch_add(spans.len() as u64, Ordering::Relaxed);
        Box::pin(async { Ok(()) })
    }
}

fn report(what: &str, l: &Load) -> f64 {
    let rate = l.accepted_spans as f64 / l.elapsed.as_secs_f64();
    println!(
        "{what:<34} {:>10.0} spans/s  ({} spans in {:.1} s, {} refused)",
        rate,
        l.accepted_spans,
        l.elapsed.as_secs_f64(),
        l.refused
    );
    rate
}

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One round: rotel-agent, Readyroom in memory, Readyroom durable, back
/// to back, so each ratio compares runs minutes apart at most.
struct Round {
    rotel: f64,
    memory: f64,
    durable: f64,
    peak_kib: u64,
    store_bytes: u64,
    wal_bytes: u64,
}

async fn round(
    rotel: &str,
    readyroom: &str,
    connections: usize,
    seconds: u64,
    payloads: &Arc<Vec<Vec<u8>>>,
) -> Round {
    // rotel-agent, blackhole exporter.
    let (http, grpc) = (free_port(), free_port());
    let mut agent = tokio::process::Command::new(rotel)
        .args([
            "start",
            "--exporter",
            "blackhole",
            "--otlp-http-endpoint",
            &format!("127.0.0.1:{http}"),
            "--otlp-grpc-endpoint",
            &format!("127.0.0.1:{grpc}"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start rotel-agent");
    until_listening(http).await;
    let rotel_load = load(
        &format!("http://127.0.0.1:{http}/v1/traces"),
        connections,
        seconds,
        payloads.clone(),
    )
    .await;
    let _ = agent.kill().await;
    let rotel_rate = report("rotel-agent (blackhole)", &rotel_load);

    // Readyroom, in memory: the receiver in this process, spans dropped.
    let discard = Arc::new(Discard(AtomicU64::new(0)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr: SocketAddr = listener.local_addr().expect("addr");
    let router = http_router(discard.clone(), ReceiverLimits::default());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve_http(listener, router, async {
        let _ = stopped.await;
    }));
    let memory_load = load(
        &format!("http://{addr}/v1/traces"),
        connections,
        seconds,
        payloads.clone(),
    )
    .await;
    let _ = stop.send(());
    let _ = server.await;
    let memory_rate = report("Readyroom in memory (no store)", &memory_load);

    // Readyroom, durable: `readyroom otlp` into a fresh span store.
    let data = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let mut otlp = tokio::process::Command::new(readyroom)
        .args([
            "otlp",
            "--http",
            &format!("127.0.0.1:{port}"),
            "--grpc",
            "off",
        ])
        .env("READYROOM_DATA_DIR", data.path())
        .env("READYROOM_CONFIG", data.path().join("none.toml"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start readyroom otlp");
    until_listening(port).await;
    let pid = otlp.id().expect("pid");
    let peak = Arc::new(AtomicU64::new(0));
    let sampler = {
        let peak = peak.clone();
        tokio::spawn(async move {
            while let Some(kib) = vm_hwm_kib(pid) {
                peak.fetch_max(kib, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let durable_load = load(
        &format!("http://127.0.0.1:{port}/v1/traces"),
        connections,
        seconds,
        payloads.clone(),
    )
    .await;
    if let Some(kib) = vm_hwm_kib(pid) {
        peak.fetch_max(kib, Ordering::Relaxed);
    }
    sampler.abort();
    let _ = otlp.kill().await;
    let durable_rate = report("Readyroom durable (span store)", &durable_load);
    let file_size = |name: &str| {
        std::fs::metadata(data.path().join(name))
            .map(|m| m.len())
            .unwrap_or(0)
    };
    // The WAL is reported apart: under sustained load it must stay
    // bounded, not grow with what was stored.
    let wal = file_size("spans.db-wal");
    let size = file_size("spans.db") + wal;

    Round {
        rotel: rotel_rate,
        memory: memory_rate,
        durable: durable_rate,
        peak_kib: peak.load(Ordering::Relaxed),
        store_bytes: size,
        wal_bytes: wal,
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let seconds = arg("--seconds", 10);
    let connections = arg("--connections", 4) as usize;
    // This machine is shared: its speed drifts by a fifth between runs.
    // Several rounds, each measuring all three back to back, and the
    // median of their ratios, say more than one long run.
    let rounds = arg("--rounds", 1).max(1) as usize;
    let readyroom = std::env::var("READYROOM_BIN")
        .expect("READYROOM_BIN: the release readyroom binary (scripts/bench-traces sets it)");
    let rotel = std::env::var("ROTEL_AGENT")
        .expect("ROTEL_AGENT: rotel-agent from PyPI's rotel (scripts/bench-traces sets it)");
    println!("OTLP/HTTP protobuf ingest: {SPANS_PER_BATCH}-span batches, {connections} connections, {seconds} s each, {rounds} round(s)\n");
    let payloads: Arc<Vec<Vec<u8>>> = Arc::new((0..2_000).map(batch).collect());
    println!(
        "payload: {} KiB per batch, {} distinct batches (ids unique per batch)\n",
        payloads[0].len() / 1024,
        payloads.len()
    );
    let mut done = Vec::with_capacity(rounds);
    for n in 1..=rounds {
        if rounds > 1 {
            println!("round {n} of {rounds}");
        }
        let r = round(&rotel, &readyroom, connections, seconds, &payloads).await;
        println!(
            "in memory / rotel: {:.2}x (target >= 1x)",
            r.memory / r.rotel
        );
        println!(
            "durable / rotel:   {:.2}x (target >= 0.5x)",
            r.durable / r.rotel
        );
        println!(
            "durable receiver peak memory (VmHWM): {:.1} MiB; store on disk {:.1} MiB (of which WAL {:.1} MiB)\n",
            r.peak_kib as f64 / 1024.0,
            r.store_bytes as f64 / 1_048_576.0,
            r.wal_bytes as f64 / 1_048_576.0
        );
        done.push(r);
    }
    if rounds > 1 {
        let ratios = |f: fn(&Round) -> f64| {
            let mut v: Vec<f64> = done.iter().map(f).collect();
            v.sort_by(f64::total_cmp);
            let shown: Vec<String> = v.iter().map(|x| format!("{x:.2}")).collect();
            (median(v), shown.join(" "))
        };
        let (memory, all_memory) = ratios(|r| r.memory / r.rotel);
        let (durable, all_durable) = ratios(|r| r.durable / r.rotel);
        println!("median of {rounds} rounds: in memory / rotel {memory:.2}x ({all_memory}); durable / rotel {durable:.2}x ({all_durable})");
    }
}
