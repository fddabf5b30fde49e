//! Benchmark: what the Pools view's charts read from the store, per call,
//! over a day of 1 s samples of a server, a pooler and an app pool
//! (86,400 rows each): windows of 5 min, 1 h and 24 h, drawn as stored
//! (every row read and decoded) and downsampled to the 600 points a
//! chart draws (the busiest sample of each stretch, chosen by SQLite).
//! The open view reads its window after every sample, so this is the
//! per-second cost of a long window.
//!
//! Run with `cargo bench -p readyroom-tests --bench pool_history`.

use std::time::{Duration, Instant};

use readyroom_core::pools::series::{PoolKind, PoolReading};
use readyroom_core::pools::{
    AppPoolSample, Backend, BackendGroup, PoolerCounters, PoolerPool, PoolerSample, ServerSample,
    StateCounts,
};
use readyroom_store::Store;
use time::OffsetDateTime;

const DAY: i64 = 86_400;
const CHART_POINTS: u32 = 600;
const RUNS: usize = 7;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// A server sample the size of a busy one: 20 groups, 10 named sessions.
fn server(at: OffsetDateTime, i: i64) -> PoolReading {
    let states = StateCounts {
        active: (i % 40) as u64,
        idle: 50,
        idle_in_transaction: (i % 3) as u64,
        ..StateCounts::default()
    };
    PoolReading::Server(ServerSample {
        source: "postgres db.internal:5432/app".into(),
        at,
        server_version: 160_004,
        max_connections: 200,
        reserved_connections: 3,
        states,
        groups: (0..20)
            .map(|g| BackendGroup {
                application: format!("service-{g}"),
                user: "app".into(),
                client: format!("10.0.0.{g}"),
                states,
            })
            .collect(),
        backends: (0..10)
            .map(|b| Backend {
                pid: 4_000 + b,
                state: Some("active".into()),
                application: format!("service-{b}"),
                user: "app".into(),
                client: format!("10.0.0.{b}"),
                xact_age_ms: Some(1_200),
                state_age_ms: Some(800),
                query_age_ms: Some(800),
                wait_event: Some("Lock: transactionid".into()),
                blocked_by: vec![4_000],
                query: None,
            })
            .collect(),
        blocks_hit: 1_000_000 + i as u64 * 900,
        blocks_read: 10_000 + i as u64 * 9,
        xact_commit: 50_000 + i as u64 * 40,
        xact_rollback: 10 + i as u64 / 100,
    })
}

fn pooler(at: OffsetDateTime, i: i64) -> PoolReading {
    PoolReading::Pooler(PoolerSample {
        source: "pgbouncer db.internal:6432".into(),
        at,
        pools: vec![PoolerPool {
            database: "app".into(),
            user: "app".into(),
            cl_waiting: (i % 97 == 0) as u64 * 12,
            maxwait_us: (i % 97 == 0) as u64 * 2_400_000,
            ..PoolerPool::default()
        }],
        databases: Vec::new(),
        counters: vec![PoolerCounters {
            database: "app".into(),
            xact_count: i as u64 * 40,
            query_count: i as u64 * 120,
            wait_time_us: i as u64 * 300,
            ..PoolerCounters::default()
        }],
    })
}

fn app(at: OffsetDateTime, i: i64) -> PoolReading {
    PoolReading::App(AppPoolSample {
        source: "https://app.internal/metrics".into(),
        at,
        names: "pg-pool".into(),
        in_use: Some((i % 10) as f64),
        idle: Some(2.0),
        waiting: Some((i % 50 == 0) as u8 as f64 * 3.0),
        max: Some(10.0),
    })
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("readyroom.db"))
        .await
        .expect("store");
    let now = OffsetDateTime::now_utc();
    let start = now - time::Duration::seconds(DAY);
    let filled = Instant::now();
    // As the sampler writes them: one round (three readings) a second.
    for chunk in (0..DAY).collect::<Vec<_>>().chunks(600) {
        for &i in chunk {
            let at = start + time::Duration::seconds(i);
            store
                .save_pool_readings(
                    "prod",
                    &[
                        (PoolKind::Server, at, server(at, i)),
                        (PoolKind::Pooler, at, pooler(at, i)),
                        (PoolKind::App, at, app(at, i)),
                    ],
                )
                .await
                .expect("save");
        }
    }
    let db_bytes: u64 = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    println!(
        "stored a day of 1 s samples (3 x {DAY} rows) in {:.1} s; the store's files: {:.1} MiB",
        filled.elapsed().as_secs_f64(),
        db_bytes as f64 / (1024.0 * 1024.0)
    );

    println!("window   drawn as       rows read  median per call (3 sources)");
    for minutes in [5i64, 60, 1_440] {
        let from = now - time::Duration::minutes(minutes);
        for (label, points) in [("stored", u32::MAX), ("downsampled", CHART_POINTS)] {
            let mut times = Vec::new();
            let mut rows = 0;
            for _ in 0..RUNS {
                let t = Instant::now();
                rows = 0;
                for kind in [PoolKind::Server, PoolKind::Pooler, PoolKind::App] {
                    let h = store
                        .pool_history("prod", kind, from, now, points)
                        .await
                        .expect("history");
                    rows += h.readings.len();
                }
                times.push(t.elapsed());
            }
            println!(
                "{:>5} min  {label:<12} {rows:>9}  {:>8.1} ms",
                minutes,
                median(times).as_secs_f64() * 1e3
            );
        }
    }
}
