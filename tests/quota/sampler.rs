//! The quota sampler as a service of `serve`, against the machine's
//! PostgreSQL: it reads the contract on its cadence and stores snapshots,
//! so the trend names who was throttled today (throttled on every day
//! sampled); a source that starts failing is stored as failures, not as
//! gaps nobody can see; and `readyroom quota --trend` reads the same store
//! without touching production.

use readyroom_tests::postgres::fresh_database;
use readyroom_tests::serving::{self, Serving};
use readyroom_tests::TestEnv;
use sqlx::{Connection, Executor, PgConnection};

/// `get_quota_trend` until `ok` holds, for at most 30 s.
async fn until(
    serve: &Serving,
    what: &str,
    ok: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    serve
        .rpc_until(
            "get_quota_trend",
            serde_json::json!({ "days": 3 }),
            what,
            ok,
        )
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sampler_stores_snapshots_and_the_trend_names_who_was_throttled() {
    let db = fresh_database().await;
    let mut conn = PgConnection::connect(&db.url).await.expect("connect");
    // The day windows started an hour ago: current for the whole test.
    conn.execute(
        "CREATE TABLE readyroom_usage (workspace_id text, workspace_name text, tier text, \"window\" text, \
           window_start timestamptz, requests bigint, ai_calls bigint, ai_tokens bigint, throttled bigint);
         INSERT INTO readyroom_usage VALUES
           ('ws_spam', 'Spammy Inc', 'free', 'day', now() - interval '1 hour', 1000, 0, 0, 420),
           ('ws_near', 'Nearly Ltd', 'free', 'day', now() - interval '1 hour', 900, 0, 0, 0),
           ('ws_calm', 'Calm Co', 'starter', 'day', now() - interval '1 hour', 10, 2, 5000, 0);",
    )
    .await
    .expect("fixture");

    let mut env = TestEnv::new();
    env.set_env("READYROOM_SECRET_PROD_DB", &db.url);
    let config = env.config(
        "[settings.quota]\nevery_ms = 1000\n[settings.otlp]\nenabled = false\n\
         [environments.prod]\nprobe_timeout_ms = 2000\n\
         [environments.prod.postgres]\nurl_secret = \"prod/db\"\n\
         [environments.prod.quota]\nsource = \"postgres\"\n",
    );
    let config = config.to_str().expect("utf8").to_string();
    let serve = serving::start(&env, &["--config", &config, "serve"]).await;

    let view = until(&serve, "a throttled workspace in the trend", |v| {
        v["trend"]["throttled"]
            .as_array()
            .is_some_and(|t| !t.is_empty())
    })
    .await;
    assert_eq!(view["sampling"], true);
    assert_eq!(view["configured"], true);
    let trend = &view["trend"];
    assert_eq!(trend["days"].as_array().expect("days").len(), 3);
    assert_eq!(trend["sampled"], serde_json::json!([false, false, true]));
    let throttled = trend["throttled"].as_array().expect("throttled");
    assert_eq!(throttled.len(), 1, "only the one turned away: {trend}");
    let spam = &throttled[0];
    assert_eq!(spam["workspaceId"], "ws_spam");
    assert_eq!(spam["perDay"], serde_json::json!([null, null, 420]));
    assert_eq!(spam["everySampledDay"], true);
    // The free tier's 429s and AI cost per day, from the day's last
    // snapshot.
    let free = trend["tiers"]
        .as_array()
        .expect("tiers")
        .iter()
        .find(|t| t["tier"] == "free")
        .expect("free");
    assert_eq!(
        (free["throttled"].as_i64(), free["requests"].as_i64()),
        (Some(420), Some(1900))
    );

    // More 429s later the same day: the day keeps the most seen.
    conn.execute("UPDATE readyroom_usage SET throttled = 600 WHERE workspace_id = 'ws_spam'")
        .await
        .expect("update");
    until(&serve, "the day's 429s growing to 600", |v| {
        v["trend"]["throttled"][0]["perDay"][2] == 600
    })
    .await;

    // The source breaks (a column renamed): failures are stored too.
    conn.execute("ALTER TABLE readyroom_usage RENAME COLUMN throttled TO rejected")
        .await
        .expect("break");
    let broken = until(&serve, "failed snapshots counted", |v| {
        v["trend"]["failures"].as_u64().is_some_and(|f| f > 0)
    })
    .await;
    assert_eq!(
        broken["trend"]["throttled"][0]["perDay"][2], 600,
        "what was stored stays"
    );

    // The CLI reads the same store, not production.
    let run = env
        .run(&[
            "--config", &config, "quota", "--trend", "--days", "3", "--format", "json",
        ])
        .await;
    assert_eq!(run.code, 0, "{}", run.all_output());
    let cli = run.json();
    assert_eq!(cli["sampling"], false, "no sampler in a CLI command");
    assert_eq!(cli["trend"]["throttled"][0]["workspaceId"], "ws_spam");
    let table = env
        .run(&["--config", &config, "quota", "--trend", "--days", "3"])
        .await;
    assert_eq!(table.code, 0, "{}", table.all_output());
    assert!(
        table.stdout.contains("Spammy Inc (ws_spam)"),
        "{}",
        table.stdout
    );
    assert!(
        !table.all_output().contains(&db.url),
        "the database URL is never shown"
    );
    serve.interrupt();
}
