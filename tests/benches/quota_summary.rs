//! Benchmark: the full quota summary over 100,000 workspaces × 3 windows
//! (300,000 rows of the quota data contract, across the four plan tiers
//! and one without limits), as Readyroom reads it (`summary`: one
//! statement, in a read-only transaction, with `now()` after it), against
//! the equivalent `GROUP BY` written by hand and run with `psql` (its own
//! `\timing`, so psql's start-up is not counted against it). Also times
//! the lists statement and the whole reading (`read_over`: the contract's
//! columns checked, the summary, the lists). Runs alternate between the
//! two sides, so drift on this shared machine falls on both; medians.
//!
//! Run with `cargo bench -p readyroom-tests --bench quota_summary
//! [-- --runs N]` (PostgreSQL as for the tests: see TESTING.md).

use std::process::Command;
use std::time::{Duration, Instant};

use readyroom_core::quota::{ListRequest, Plans};
use readyroom_sources::quota::postgres::{lists, read_over, summary, UsageFrom};
use readyroom_tests::postgres::fresh_database;
use sqlx::{Connection, Executor, PgConnection, Row};

const WORKSPACES: i64 = 100_000;

/// The summary as someone would write it by hand for `psql`: per tier,
/// its workspaces, the current windows' totals, and per limit how many
/// workspaces are near (80 % up to the limit) or over, with PRODUCT.md's
/// plan table inline.
const HAND_WRITTEN: &str = r#"
WITH cur AS (
  SELECT workspace_id, lower(tier) AS tier, "window" AS w, requests, ai_calls, ai_tokens, throttled
  FROM usage
  WHERE window_start <= now() AND now() < window_start + CASE "window"
    WHEN 'minute' THEN interval '1 minute' WHEN 'hour' THEN interval '1 hour' ELSE interval '1 day' END),
per_ws AS (
  SELECT tier, workspace_id,
    sum(requests) FILTER (WHERE w = 'minute') AS rpm, sum(requests) FILTER (WHERE w = 'hour') AS rph,
    sum(requests) FILTER (WHERE w = 'day') AS rpd, sum(ai_calls) FILTER (WHERE w = 'day') AS aic,
    sum(ai_tokens) FILTER (WHERE w = 'day') AS ait
  FROM cur GROUP BY tier, workspace_id),
plans (tier, l_rpm, l_rph, l_rpd, l_aic, l_ait) AS (VALUES
  ('free', 10, 100, 1000, 10, 50000), ('starter', 30, 500, 5000, 100, 500000),
  ('professional', 100, 2000, 20000, 500, 2000000), ('enterprise', 500, 10000, 100000, 5000, 20000000)),
bands AS (
  SELECT tier,
    count(*) FILTER (WHERE rpm > 0 AND rpm * 5 >= l_rpm * 4 AND rpm <= l_rpm) AS near_rpm, count(*) FILTER (WHERE rpm > l_rpm) AS over_rpm,
    count(*) FILTER (WHERE rph > 0 AND rph * 5 >= l_rph * 4 AND rph <= l_rph) AS near_rph, count(*) FILTER (WHERE rph > l_rph) AS over_rph,
    count(*) FILTER (WHERE rpd > 0 AND rpd * 5 >= l_rpd * 4 AND rpd <= l_rpd) AS near_rpd, count(*) FILTER (WHERE rpd > l_rpd) AS over_rpd,
    count(*) FILTER (WHERE aic > 0 AND aic * 5 >= l_aic * 4 AND aic <= l_aic) AS near_aic, count(*) FILTER (WHERE aic > l_aic) AS over_aic,
    count(*) FILTER (WHERE ait > 0 AND ait * 5 >= l_ait * 4 AND ait <= l_ait) AS near_ait, count(*) FILTER (WHERE ait > l_ait) AS over_ait
  FROM per_ws LEFT JOIN plans USING (tier) GROUP BY tier),
totals AS (
  SELECT tier,
    sum(requests) FILTER (WHERE w = 'minute') AS req_m, sum(ai_calls) FILTER (WHERE w = 'minute') AS aic_m,
    sum(ai_tokens) FILTER (WHERE w = 'minute') AS ait_m, sum(throttled) FILTER (WHERE w = 'minute') AS thr_m,
    sum(requests) FILTER (WHERE w = 'hour') AS req_h, sum(ai_calls) FILTER (WHERE w = 'hour') AS aic_h,
    sum(ai_tokens) FILTER (WHERE w = 'hour') AS ait_h, sum(throttled) FILTER (WHERE w = 'hour') AS thr_h,
    sum(requests) FILTER (WHERE w = 'day') AS req_d, sum(ai_calls) FILTER (WHERE w = 'day') AS aic_d,
    sum(ai_tokens) FILTER (WHERE w = 'day') AS ait_d, sum(throttled) FILTER (WHERE w = 'day') AS thr_d
  FROM cur GROUP BY tier),
tiers AS (SELECT lower(tier) AS tier, count(DISTINCT workspace_id) AS workspaces FROM usage GROUP BY 1)
SELECT * FROM tiers LEFT JOIN totals USING (tier) LEFT JOIN bands USING (tier) ORDER BY tier"#;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The hand-written query `runs` times in one psql session, each as psql's
/// `\timing` measured it.
fn psql_timings(url: &str, runs: usize) -> Vec<Duration> {
    let mut script = String::from("\\timing on\n");
    for _ in 0..runs {
        script.push_str(HAND_WRITTEN);
        script.push_str(";\n");
    }
    let path = std::env::temp_dir().join(format!("quota-bench-{}.sql", std::process::id()));
    std::fs::write(&path, script).expect("write the psql script");
    let out = Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f"])
        .arg(&path)
        .output()
        .expect("psql runs (apt install postgresql-client)");
    let _ = std::fs::remove_file(&path);
    assert!(
        out.status.success(),
        "psql: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("Time: "))
        .filter_map(|t| t.split_whitespace().next()?.parse::<f64>().ok())
        .map(|t| Duration::from_secs_f64(t / 1000.0))
        .collect()
}

#[tokio::main]
async fn main() {
    let runs: usize = std::env::args()
        .skip_while(|a| a != "--runs")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(9);
    let db = fresh_database().await;
    let mut conn = PgConnection::connect(&db.url).await.expect("connect");
    eprintln!("generating {WORKSPACES} workspaces × 3 windows…");
    // Windows that started a moment ago (the minute's for 50 s), tiers in
    // mixed case and one without limits, NULLs here and there, a tenth of
    // the workspaces near or over a limit.
    conn.execute(
        format!(
            "CREATE TABLE usage (workspace_id text, workspace_name text, tier text, \"window\" text, \
               window_start timestamptz, requests bigint, ai_calls bigint, ai_tokens bigint, throttled bigint);
             INSERT INTO usage
             SELECT 'ws' || lpad(i::text, 6, '0'), 'Workspace ' || i,
                    (ARRAY['free', 'Free', 'starter', 'professional', 'enterprise', 'legacy'])[1 + i % 6],
                    w.name, now() - w.ago,
                    CASE WHEN i % 97 = 0 THEN NULL ELSE (i * 7919 % 1000) * w.scale / 100 END,
                    (i * 31 % 120), (i * 104729 % 600000), CASE WHEN i % 10 = 0 THEN i % 50 ELSE 0 END
             FROM generate_series(1::bigint, {WORKSPACES}) AS i
             CROSS JOIN (VALUES ('minute', interval '10 seconds', 1), ('hour', interval '20 minutes', 12),
                                ('day', interval '6 hours', 100)) AS w(name, ago, scale);
             ANALYZE usage;"
        )
        .as_str(),
    )
    .await
    .expect("generate");
    let plans = Plans::default();
    let from = UsageFrom::Relation("usage".into());
    let request = ListRequest {
        tier: None,
        cap: 50,
    };

    // The two sides agree (so the comparison is of the same work): the
    // workspaces and the near/over counts per tier.
    let (ours, _) = summary(&mut conn, &from, &plans).await.expect("summary");
    let theirs = sqlx::query(HAND_WRITTEN)
        .fetch_all(&mut conn)
        .await
        .expect("hand-written");
    for row in &theirs {
        let tier: String = row.get("tier");
        let t = ours.iter().find(|t| t.tier == tier).expect("same tiers");
        assert_eq!(i64::from(t.workspaces), row.get::<i64, _>("workspaces"));
        let near: Option<i64> = row.get("near_rpm");
        assert_eq!(i64::from(t.limits[0].near), near.unwrap_or(0), "{tier}");
    }

    let mut summaries = Vec::new();
    let mut lists_t = Vec::new();
    let mut reads = Vec::new();
    let mut hand = Vec::new();
    // One warm-up of each, then alternate.
    let _ = psql_timings(&db.url, 1);
    for _ in 0..runs {
        let mut tx = conn.begin().await.expect("begin");
        let t = Instant::now();
        let (_, now) = summary(&mut tx, &from, &plans).await.expect("summary");
        summaries.push(t.elapsed());
        let t = Instant::now();
        lists(&mut tx, &from, &plans, &request, now)
            .await
            .expect("lists");
        lists_t.push(t.elapsed());
        tx.rollback().await.expect("end");
        let t = Instant::now();
        read_over(
            &mut conn,
            "bench",
            &from,
            &plans,
            &request,
            Duration::from_secs(30),
            Duration::from_secs(5),
        )
        .await
        .expect("read");
        reads.push(t.elapsed());
        hand.extend(psql_timings(&db.url, 1));
    }
    let (s, l, r, h) = (
        median(summaries),
        median(lists_t),
        median(reads),
        median(hand),
    );
    println!("quota summary, {WORKSPACES} workspaces × 3 windows, median of {runs}:");
    println!(
        "  Readyroom summary (one statement + now()): {:8.1} ms",
        ms(s)
    );
    println!(
        "  psql, the hand-written GROUP BY (\\timing): {:8.1} ms",
        ms(h)
    );
    println!("  ratio: {:.2}x", ms(s) / ms(h));
    println!(
        "  Readyroom lists (over, near, projected, throttled, any, spenders; 50 each): {:8.1} ms",
        ms(l)
    );
    println!(
        "  Readyroom whole reading (columns checked, summary, lists, read-only tx): {:8.1} ms",
        ms(r)
    );
}
