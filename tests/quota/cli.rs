//! `readyroom quota` end to end: the real binary against the machine's
//! PostgreSQL holding the quota data contract as a view over the app's own
//! tables, the database URL from the environment (as CI passes it) and
//! never echoed; a view with a wrong column fails with its name, and the
//! lists answer `--tier`, `--near` and `--over`.

use readyroom_tests::postgres::fresh_database;
use readyroom_tests::TestEnv;
use sqlx::{Connection, Executor, PgConnection};

const CONFIG: &str = "[environments.prod]\n\
    [environments.prod.postgres]\nurl_secret = \"prod/db\"\n\
    [environments.prod.quota]\nsource = \"postgres\"\nrelation = \"billing.usage_now\"\n";

#[tokio::test(flavor = "multi_thread")]
async fn quota_reads_the_contract_view_and_lists_who_is_over_near_and_throttled() {
    let db = fresh_database().await;
    let mut conn = PgConnection::connect(&db.url).await.expect("connect");
    // An app's own tables, and the contract as a view over them. The
    // windows started a little before now, so they stay current however
    // slowly the test runs (for 58 s at least).
    conn.execute(
        "CREATE SCHEMA billing;
         CREATE TABLE billing.workspaces (id text PRIMARY KEY, name text, plan text);
         CREATE TABLE billing.counters (workspace text, win text, started timestamptz, requests bigint, throttled bigint);
         CREATE VIEW billing.usage_now AS
           SELECT c.workspace AS workspace_id, w.name AS workspace_name, w.plan AS tier, c.win AS \"window\",
                  c.started AS window_start, c.requests, NULL::bigint AS ai_calls, NULL::bigint AS ai_tokens, c.throttled
           FROM billing.counters c JOIN billing.workspaces w ON w.id = c.workspace;
         INSERT INTO billing.workspaces VALUES
           ('ws_spam', 'Spammy Inc', 'free'), ('ws_busy', 'Busy LLC', 'free'),
           ('ws_calm', 'Calm Co', 'starter'), ('ws_big', 'Big Corp', 'Enterprise');
         INSERT INTO billing.counters VALUES
           ('ws_spam', 'minute', now() - interval '2 seconds', 14, 3),
           ('ws_spam', 'day', now() - interval '1 hour', 200, 30),
           ('ws_busy', 'minute', now() - interval '2 seconds', 8, 0),
           ('ws_calm', 'hour', now() - interval '10 minutes', 20, 0),
           ('ws_big', 'day', now() - interval '1 hour', 100001, 2);",
    )
    .await
    .expect("fixture");

    let mut env = TestEnv::new();
    env.set_env("READYROOM_SECRET_PROD_DB", &db.url);
    let config = env.config(CONFIG);
    let config = config.to_str().expect("utf8");

    let run = env
        .run(&["--config", config, "quota", "--format", "json"])
        .await;
    assert_eq!(run.code, 0, "{}", run.all_output());
    let view = run.json();
    assert!(view["problem"].is_null(), "{}", view["problem"]);
    assert!(
        view["source"]
            .as_str()
            .expect("source")
            .ends_with(", relation billing.usage_now"),
        "{}",
        view["source"]
    );
    let reading = &view["reading"];
    let tiers: Vec<&str> = reading["tiers"]
        .as_array()
        .expect("tiers")
        .iter()
        .map(|t| t["tier"].as_str().expect("tier"))
        .collect();
    assert_eq!(
        tiers,
        ["free", "starter", "enterprise"],
        "plan order, plan spelling"
    );
    let ids = |which: &str| -> Vec<String> {
        reading["lists"]
            .as_array()
            .expect("lists")
            .iter()
            .find(|l| l["which"] == which)
            .expect("list")["workspaces"]
            .as_array()
            .expect("workspaces")
            .iter()
            .map(|w| w["workspaceId"].as_str().expect("id").to_string())
            .collect()
    };
    // 14 of 10 a minute is 140 %; 100,001 of 100,000 a day just past.
    assert_eq!(ids("over"), ["ws_spam", "ws_big"]);
    assert_eq!(ids("near"), ["ws_busy"], "exactly 80 %");
    assert_eq!(ids("throttled"), ["ws_spam", "ws_big"]);

    // For people: the lists asked for, one tier.
    let over = env
        .run(&["--config", config, "quota", "--over", "--tier", "FREE"])
        .await;
    assert_eq!(over.code, 0, "{}", over.all_output());
    assert!(
        over.stdout.contains("Over a limit, tier FREE: 1"),
        "{}",
        over.stdout
    );
    assert!(
        over.stdout.contains("Spammy Inc (ws_spam)"),
        "{}",
        over.stdout
    );
    assert!(over.stdout.contains("14 of 10 (140 %)"), "{}", over.stdout);
    assert!(!over.stdout.contains("Near a limit"), "{}", over.stdout);
    assert!(!over.stdout.contains("Big Corp"), "{}", over.stdout);

    // The app renames a column: the read fails naming it, exit 1.
    conn.execute(
        "CREATE OR REPLACE VIEW billing.usage_now AS
           SELECT c.workspace AS workspace_id, w.name AS workspace_name, w.plan AS tier, c.win AS \"window\",
                  c.started AS window_start, c.requests::text AS requests, NULL::bigint AS ai_calls,
                  NULL::bigint AS ai_tokens, c.throttled
           FROM billing.counters c JOIN billing.workspaces w ON w.id = c.workspace",
    )
    .await
    .expect_err("a view cannot change a column's type in place");
    conn.execute(
        "DROP VIEW billing.usage_now;
         CREATE VIEW billing.usage_now AS
           SELECT c.workspace AS workspace_id, w.name AS workspace_name, w.plan AS tier, c.win AS \"window\",
                  c.started AS window_start, c.requests::text AS requests, NULL::bigint AS ai_calls,
                  NULL::bigint AS ai_tokens
           FROM billing.counters c JOIN billing.workspaces w ON w.id = c.workspace",
    )
    .await
    .expect("a wrong view");
    let wrong = env.run(&["--config", config, "quota"]).await;
    assert_eq!(wrong.code, 1, "{}", wrong.all_output());
    assert!(
        wrong
            .stdout
            .contains("column requests is text (expected bigint); column throttled is missing (expected bigint)"),
        "{}",
        wrong.all_output()
    );
    for run in [&run, &over, &wrong] {
        assert!(!run.all_output().contains(&db.url), "the URL leaked");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn quota_without_a_source_says_what_to_add() {
    let env = TestEnv::new();
    let config = env.config("[environments.prod]\nbase_url = \"https://app.example.test/\"\n");
    let run = env
        .run(&["--config", config.to_str().expect("utf8"), "quota"])
        .await;
    assert_eq!(run.code, 1, "{}", run.all_output());
    assert!(
        run.stderr
            .contains("has no quota source: add [environments.prod.quota]"),
        "{}",
        run.all_output()
    );
}
