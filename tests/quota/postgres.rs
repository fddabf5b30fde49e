//! The PostgreSQL quota source on generated data: the summary the server
//! computes equals the Rust summary over the same rows and an independent
//! `GROUP BY`, at the exact edges (80 %, the limit, a window just reset,
//! NULLs, a tier without limits); a relation or query with wrong columns
//! is named with the type expected.

use rand::{Rng, SeedableRng};
use readyroom_core::quota::lists::pick;
use readyroom_core::quota::summary::summarize;
use std::collections::BTreeMap;

use readyroom_core::quota::{
    workspaces, Limit, ListRequest, Plans, Prices, UsageRow, Which, Window,
};
use readyroom_sources::quota::postgres::{check_columns, lists, summary, UsageFrom};
use readyroom_tests::postgres::fresh_database;
use sqlx::{Connection, PgConnection, Row};

const CONTRACT: &str = "CREATE TABLE usage (workspace_id text, workspace_name text, tier text, \"window\" text, \
     window_start timestamptz, requests bigint, ai_calls bigint, ai_tokens bigint, throttled bigint)";

/// A fresh database with an empty `usage` table of the contract's
/// columns, and a connection to it (the database lives as long as the
/// first value).
async fn contract_table() -> (readyroom_tests::postgres::TestDatabase, PgConnection) {
    let db = fresh_database().await;
    let mut conn = PgConnection::connect(&db.url).await.expect("connect");
    sqlx::query(CONTRACT)
        .execute(&mut conn)
        .await
        .expect("table");
    (db, conn)
}

/// A row whose window started `ago` before now (`interval` text).
async fn insert(
    conn: &mut PgConnection,
    ws: &str,
    tier: &str,
    window: &str,
    ago: &str,
    counts: [Option<i64>; 4],
) {
    sqlx::query(
        "INSERT INTO usage VALUES ($1, upper($1), $2, $3, now() - $4::interval, $5, $6, $7, $8)",
    )
    .bind(ws)
    .bind(tier)
    .bind(window)
    .bind(ago)
    .bind(counts[0])
    .bind(counts[1])
    .bind(counts[2])
    .bind(counts[3])
    .execute(&mut *conn)
    .await
    .expect("insert");
}

/// Every row, as the contract's Rust type (the test may pull them all;
/// Readyroom does not).
async fn rows(conn: &mut PgConnection) -> Vec<UsageRow> {
    sqlx::query("SELECT * FROM usage")
        .fetch_all(&mut *conn)
        .await
        .expect("rows")
        .iter()
        .map(|r| UsageRow {
            workspace_id: r.get("workspace_id"),
            workspace_name: r.get("workspace_name"),
            tier: r.get("tier"),
            window: Window::parse(r.get("window")).expect("window"),
            window_start: r.get("window_start"),
            requests: r.get("requests"),
            ai_calls: r.get("ai_calls"),
            ai_tokens: r.get("ai_tokens"),
            throttled: r.get("throttled"),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_server_s_summary_is_exact_at_the_edges() {
    let (_db, mut conn) = contract_table().await;
    let none = [None; 4];
    // free: 10/min, 100/h, 1,000/day, 10 AI calls and 50,000 tokens a day.
    insert(
        &mut conn,
        "at80",
        "free",
        "minute",
        "5 seconds",
        [Some(8), None, None, Some(0)],
    )
    .await;
    insert(
        &mut conn,
        "atlimit",
        "free",
        "minute",
        "5 seconds",
        [Some(10), None, None, Some(2)],
    )
    .await;
    insert(
        &mut conn,
        "over",
        "Free",
        "minute",
        "5 seconds",
        [Some(11), None, None, Some(4)],
    )
    .await;
    insert(
        &mut conn,
        "below80",
        "free",
        "minute",
        "5 seconds",
        [Some(7), None, None, None],
    )
    .await;
    // A minute window that reset 40 s ago: counts nothing now.
    insert(
        &mut conn,
        "reset",
        "free",
        "minute",
        "100 seconds",
        [Some(500), None, None, Some(9)],
    )
    .await;
    insert(&mut conn, "nulls", "free", "day", "1 hour", none).await;
    insert(
        &mut conn,
        "ai",
        "free",
        "day",
        "1 hour",
        [Some(5), Some(10), Some(40_000), None],
    )
    .await;
    insert(
        &mut conn,
        "big",
        "enterprise",
        "hour",
        "5 minutes",
        [Some(10_001), None, None, None],
    )
    .await;
    insert(
        &mut conn,
        "mystery",
        "team",
        "minute",
        "5 seconds",
        [Some(999), None, None, None],
    )
    .await;
    let plans = Plans::default();
    let from = UsageFrom::Relation("usage".into());
    check_columns(&mut conn, &from).await.expect("the contract");
    // One transaction: one now() for the server's summary and the oracle.
    let mut tx = conn.begin().await.expect("begin");
    let (tiers, now) = summary(&mut tx, &from, &plans).await.expect("summary");

    let names: Vec<&str> = tiers.iter().map(|t| t.tier.as_str()).collect();
    assert_eq!(
        names,
        ["free", "enterprise", "team"],
        "plan order, then the others"
    );
    let free = &tiers[0];
    assert_eq!(
        free.workspaces, 7,
        "every workspace of the tier, the reset one too"
    );
    let minute = &free.windows[0];
    assert_eq!(
        minute.requests,
        8 + 10 + 11 + 7,
        "the reset window counts nothing"
    );
    assert_eq!(minute.throttled, 6);
    let count = |t: &readyroom_core::quota::TierSummary, l: Limit| {
        let c = t.limits.iter().find(|c| c.limit == l).expect("limit");
        (c.near, c.over)
    };
    assert_eq!(
        count(free, Limit::RequestsPerMinute),
        (2, 1),
        "80 % and the limit are near"
    );
    assert_eq!(count(free, Limit::AiCallsPerDay), (1, 0), "exactly at 10");
    assert_eq!(
        count(free, Limit::AiTokensPerDay),
        (1, 0),
        "40,000 of 50,000"
    );
    assert_eq!(
        count(free, Limit::RequestsPerDay),
        (0, 0),
        "NULLs cross nothing"
    );
    assert_eq!(count(&tiers[1], Limit::RequestsPerHour), (0, 1));
    let team = &tiers[2];
    assert!(!team.limited, "a tier without limits is reported as such");
    assert_eq!(team.workspaces, 1);
    assert_eq!(count(team, Limit::RequestsPerMinute), (0, 0));

    // The Rust summary over the same rows, at the server's now, agrees.
    assert_eq!(summarize(&rows(&mut tx).await, &plans, now), tiers);
}

#[tokio::test(flavor = "multi_thread")]
async fn generated_usage_across_tiers_matches_rust_and_an_independent_group_by() {
    let (_db, mut conn) = contract_table().await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(12);
    let tiers = ["free", "starter", "professional", "enterprise", "legacy"];
    let mut tx = conn.begin().await.expect("begin");
    for i in 0..600 {
        let tier = tiers[rng.random_range(0..tiers.len())];
        for (window, ago) in [
            ("minute", "3 seconds"),
            ("hour", "10 minutes"),
            ("day", "2 hours"),
        ] {
            // Some windows just reset; some counts NULL; values around
            // each tier's limits.
            let ago = if rng.random_bool(0.1) { "3 days" } else { ago };
            let scale = match tier {
                "free" => 12,
                "starter" => 40,
                "professional" => 120,
                _ => 600,
            } * match window {
                "minute" => 1,
                "hour" => 10,
                _ => 100,
            };
            let mut count = || rng.random_bool(0.9).then(|| rng.random_range(0..scale));
            let counts = [count(), count(), count(), count()];
            insert(&mut tx, &format!("ws{i}"), tier, window, ago, counts).await;
        }
    }
    tx.commit().await.expect("commit");
    let plans = Plans::default();
    let mut tx = conn.begin().await.expect("begin");
    let (summed, now) = summary(&mut tx, &UsageFrom::Relation("usage".into()), &plans)
        .await
        .expect("summary");
    assert_eq!(summed.len(), 5);
    assert_eq!(summarize(&rows(&mut tx).await, &plans, now), summed);
    tx.commit().await.expect("end");

    // An independent GROUP BY for one number of each kind.
    let independent: Vec<(String, i64, i64)> = sqlx::query(
        "SELECT lower(tier), (sum(requests) FILTER (WHERE \"window\" = 'minute' AND window_start > $1::timestamptz - interval '1 minute'))::bigint, \
                count(*) FILTER (WHERE \"window\" = 'minute' AND window_start > $1::timestamptz - interval '1 minute' AND requests > 10) \
         FROM usage GROUP BY 1",
    )
    .bind(now)
    .fetch_all(&mut conn)
    .await
    .expect("group by")
    .iter()
    .map(|r| (r.get(0), r.get::<Option<i64>, _>(1).unwrap_or(0), r.get(2)))
    .collect();
    for (tier, requests, over_free) in independent {
        let ours = summed.iter().find(|t| t.tier == tier).expect("tier");
        assert_eq!(ours.windows[0].requests, requests, "{tier}");
        if tier == "free" {
            let c = ours
                .limits
                .iter()
                .find(|c| c.limit == Limit::RequestsPerMinute)
                .expect("rpm");
            assert_eq!(i64::from(c.over), over_free);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_lists_picked_in_sql_equal_the_rust_lists_at_the_server_s_now() {
    let (_db, mut conn) = contract_table().await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let tiers = ["free", "Starter", "professional", "enterprise", "legacy"];
    let mut tx = conn.begin().await.expect("begin");
    for i in 0..400 {
        let tier = tiers[rng.random_range(0..tiers.len())];
        for (window, ago, scale) in [
            ("minute", format!("{} seconds", rng.random_range(0..59)), 14),
            ("hour", format!("{} minutes", rng.random_range(0..59)), 120),
            ("day", format!("{} hours", rng.random_range(0..23)), 1_200),
        ] {
            if rng.random_bool(0.1) {
                continue;
            }
            let ago = if rng.random_bool(0.1) {
                "2 days".to_string()
            } else {
                ago
            };
            let scale = scale * if tier == "free" { 1 } else { 10 };
            let mut count = || rng.random_bool(0.9).then(|| rng.random_range(0..scale));
            let counts = [count(), count(), count(), count()];
            insert(&mut tx, &format!("ws{i:03}"), tier, window, &ago, counts).await;
        }
    }
    tx.commit().await.expect("commit");
    // Priced per tier, so the spenders' order is by cost, not by tokens:
    // enterprise's few tokens can outspend free's many.
    let plans = Plans::default().priced(Prices::with_config(
        Some("EUR"),
        Some("small"),
        &BTreeMap::from([
            ("small".to_string(), 0.6),
            ("mid".to_string(), 3.0),
            ("large".to_string(), 15.0),
        ]),
        &BTreeMap::from([
            ("Enterprise".to_string(), "large".to_string()),
            ("professional".to_string(), "mid".to_string()),
        ]),
    ));
    let from = UsageFrom::Relation("usage".into());
    for request in [
        ListRequest {
            tier: None,
            cap: 25,
        },
        ListRequest {
            tier: Some("FREE".into()),
            cap: 10,
        },
        ListRequest {
            tier: Some("legacy".into()),
            cap: 1_000,
        },
    ] {
        // One transaction: one now() for the server's lists and the oracle.
        let mut tx = conn.begin().await.expect("begin");
        let now: time::OffsetDateTime = sqlx::query_scalar("SELECT now()")
            .fetch_one(&mut *tx)
            .await
            .expect("now");
        let ours = lists(&mut tx, &from, &plans, &request, now)
            .await
            .expect("lists");
        let expected = pick(&workspaces(&rows(&mut tx).await, &plans, now), &request);
        tx.commit().await.expect("end");
        assert_eq!(ours, expected, "{request:?}");
        // The data reaches every list, so the comparison says something.
        if request.tier.is_none() {
            for list in &ours {
                assert!(list.total > 0, "{:?} is empty", list.which);
                assert!(list.workspaces.len() <= 25);
            }
            assert_eq!(ours[4].total, 400, "any: every workspace");
            // The spenders: each at its tier's price, the costliest first.
            let spenders = ours
                .iter()
                .find(|l| l.which == Which::Spenders)
                .expect("spenders");
            let mut last = f64::INFINITY;
            for ws in &spenders.workspaces {
                let tokens = ws.limits[Limit::ALL.len() - 1].used.expect("tokens");
                let price = match ws.tier.as_str() {
                    "enterprise" => 15.0,
                    "professional" => 3.0,
                    _ => 0.6,
                };
                let cost = ws.ai_cost.expect("cost");
                assert!((cost - tokens as f64 * price / 1e6).abs() < 1e-9, "{ws:?}");
                assert!(cost <= last, "costliest first");
                last = cost;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_columns_are_named_with_the_type_expected() {
    let db = fresh_database().await;
    let mut conn = PgConnection::connect(&db.url).await.expect("connect");
    let query = UsageFrom::Query(
        "SELECT 'a'::text AS workspace_id, 'A' AS workspace_name, 'free' AS tier, 'minute' AS \"window\", \
         now() AS window_start, '5'::text AS requests, 1::bigint AS ai_calls, 1::bigint AS ai_tokens"
            .into(),
    );
    let err = check_columns(&mut conn, &query).await.expect_err("wrong");
    assert!(
        err.contains("column requests is text (expected bigint)"),
        "{err}"
    );
    assert!(
        err.contains("column throttled is missing (expected bigint)"),
        "{err}"
    );
    assert!(
        err.starts_with("the custom quota query does not follow the quota data contract"),
        "{err}"
    );
    let missing = check_columns(&mut conn, &UsageFrom::Relation("no_such_view".into()))
        .await
        .expect_err("missing relation");
    assert!(
        missing.contains("relation \"no_such_view\" does not exist"),
        "{missing}"
    );
}
