//! The pool sampler as a service of `serve`: it samples on its cadence
//! over one connection per source, stores what it read, and when one
//! source dies or hangs the others keep updating while the dead one's
//! panel says why and since when; a pooler that comes back is sampled
//! again.

use std::time::{Duration, Instant};

use readyroom_tests::pgbouncer::{self, APP, STATS};
use readyroom_tests::postgres::fresh_database;
use readyroom_tests::serving::{self, Serving};
use readyroom_tests::TestEnv;
use sqlx::{Connection, Executor, PgConnection};

/// `get_pools` until `ok` holds, for at most 30 s.
async fn until(
    serve: &Serving,
    what: &str,
    ok: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    serve
        .rpc_until("get_pools", serde_json::json!({}), what, ok)
        .await
}

async fn readyroom_sessions(admin: &mut PgConnection, db: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'readyroom'",
    )
    .bind(db)
    .fetch_one(admin)
    .await
    .expect("count")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sampler_keeps_sampling_the_live_sources_when_one_dies_or_hangs() {
    let db = fresh_database().await;
    let db_name = db.url.rsplit('/').next().expect("db").to_string();
    let mut bouncer = pgbouncer::start(&db_name, 2).unwrap_or_else(|e| panic!("PgBouncer: {e}"));
    let mut warm = PgConnection::connect(&bouncer.database_url(APP))
        .await
        .expect("via pooler");
    warm.execute("SELECT 1").await.expect("query");
    drop(warm);
    // The app's metrics endpoint accepts and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let silent_port = silent.local_addr().expect("addr").port();
    let _held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((s, _)) = silent.accept().await {
            open.push(s);
        }
    });

    let mut env = TestEnv::new();
    env.set_env("READYROOM_SECRET_PROD_DB", &db.url);
    env.set_env("READYROOM_SECRET_PROD_PGB", &bouncer.console_url(STATS));
    let config = env.config(&format!(
        "[settings.pools]\nevery_ms = 1000\n[settings.otlp]\nenabled = false\n\
         [environments.prod]\nprobe_timeout_ms = 800\nmetrics_url = \"http://127.0.0.1:{silent_port}/metrics\"\n\
         [environments.prod.postgres]\nurl_secret = \"prod/db\"\n\
         [environments.prod.pgbouncer]\nurl_secret = \"prod/pgb\"\n"
    ));
    let serve = serving::start(&env, &["--config", config.to_str().expect("utf8"), "serve"]).await;

    // All three panels: two with samples, the hanging one with its reason.
    let view = until(&serve, "server and pooler samples", |v| {
        !v["server"]["sample"].is_null()
            && !v["pooler"]["sample"].is_null()
            && !v["app"]["problem"].is_null()
    })
    .await;
    let app = &view["app"]["problem"];
    assert!(
        app["reason"]
            .as_str()
            .expect("reason")
            .contains("timed out after 800 ms"),
        "{app}"
    );
    // One connection per source: the sampler's to the server, however
    // many rounds (the pooler's connection is to PgBouncer's console).
    let mut admin = PgConnection::connect(&readyroom_tests::postgres::admin_url())
        .await
        .expect("admin");
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(1_100)).await;
        assert_eq!(readyroom_sessions(&mut admin, &db_name).await, 1);
    }

    // The pooler dies: its panel says why, the server keeps updating.
    let first_server_at = view["server"]["sample"]["at"]
        .as_str()
        .expect("at")
        .to_string();
    bouncer.stop();
    // The kept connection is cut first ("closed the connection"), then
    // reconnecting is refused.
    let cut = until(&serve, "the pooler's problem", |v| {
        !v["pooler"]["problem"].is_null()
    })
    .await;
    let first = cut["pooler"]["problem"]["since"].clone();
    let down = until(&serve, "the refusal", |v| {
        v["pooler"]["problem"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("is PgBouncer running"))
    })
    .await;
    let problem = &down["pooler"]["problem"];
    assert_eq!(
        problem["since"], first,
        "since the first failure: {problem}"
    );
    assert!(
        !down["pooler"]["sample"].is_null(),
        "the last good sample stays"
    );
    let since = problem["since"].as_str().expect("since").to_string();
    until(&serve, "server samples after the pooler died", |v| {
        v["server"]["sample"]["at"]
            .as_str()
            .is_some_and(|at| at != first_server_at.as_str())
            && v["pooler"]["problem"]["since"] == since.as_str()
    })
    .await;

    // Back: sampled again, and the interval across the outage has no rate.
    bouncer.restart().expect("restart");
    let back = until(&serve, "the pooler back", |v| {
        v["pooler"]["problem"].is_null()
    })
    .await;
    assert!(
        back["pooler"]["rates"].is_null(),
        "no rate across the outage: {}",
        back["pooler"]
    );
    assert_eq!(back["pooler"]["noRates"], "gap", "{}", back["pooler"]);

    serve.interrupt();
    assert_eq!(serve.exited(Instant::now()).await.code, 0);
    // What it read is on record, the failures among it.
    let store = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}?mode=ro",
        env.data_dir().join("readyroom.db").display()
    ))
    .await
    .expect("store");
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT kind, ok, count(*) FROM pool_samples WHERE environment = 'prod' GROUP BY kind, ok ORDER BY kind, ok",
    )
    .fetch_all(&store)
    .await
    .expect("rows");
    let count = |kind: &str, ok: i64| {
        rows.iter()
            .find(|(k, o, _)| k == kind && *o == ok)
            .map_or(0, |r| r.2)
    };
    assert!(count("server", 1) >= 5, "{rows:?}");
    assert!(
        count("pooler", 1) >= 2 && count("pooler", 0) >= 1,
        "{rows:?}"
    );
    assert!(count("app", 0) >= 1 && count("app", 1) == 0, "{rows:?}");
    assert_eq!(count("server", 0), 0, "{rows:?}");
}
