//! `readyroom pool` end to end: the real binary against the machine's
//! PostgreSQL and a PgBouncer of the test's own, secrets from the
//! environment (as CI passes them), never echoed.

use readyroom_tests::pgbouncer::{self, APP, STATS};
use readyroom_tests::postgres::fresh_database;
use readyroom_tests::TestEnv;
use sqlx::{Connection, Executor, PgConnection};

const CONFIG: &str = "[environments.prod]\n\
    [environments.prod.postgres]\nurl_secret = \"prod/db\"\n\
    [environments.prod.pgbouncer]\nurl_secret = \"prod/pgb\"\n";

#[tokio::test(flavor = "multi_thread")]
async fn pool_reads_server_and_pooler_and_a_dead_pooler_leaves_the_server_reading() {
    let db = fresh_database().await;
    let name = db.url.rsplit('/').next().expect("db").to_string();
    let mut bouncer = pgbouncer::start(&name, 2).unwrap_or_else(|e| panic!("PgBouncer: {e}"));
    // One client through the pooler, so its pool is listed, and one
    // session idle in a transaction on the server.
    let mut through = PgConnection::connect(&bouncer.database_url(APP))
        .await
        .expect("via pooler");
    through.execute("SELECT 1").await.expect("query");
    let mut idle_tx = PgConnection::connect(&format!("{}?application_name=fixture-cli", db.url))
        .await
        .expect("session");
    idle_tx.execute("BEGIN; SELECT 1").await.expect("begin");

    let mut env = TestEnv::new();
    env.set_env("READYROOM_SECRET_PROD_DB", &db.url);
    env.set_env("READYROOM_SECRET_PROD_PGB", &bouncer.console_url(STATS));
    let config = env.config(CONFIG);
    let config = config.to_str().expect("utf8");

    let run = env
        .run(&["--config", config, "pool", "--format", "json"])
        .await;
    assert_eq!(run.code, 0, "{}", run.all_output());
    let view = run.json();
    let server = &view["server"]["sample"];
    let fixture = server["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["application"] == "fixture-cli")
        .expect("the fixture's group");
    assert_eq!(fixture["states"]["idleInTransaction"], 1, "{fixture}");
    let pools = view["pooler"]["sample"]["pools"].as_array().expect("pools");
    assert!(pools.iter().any(|p| p["database"] == "app"), "{pools:?}");
    assert!(view["pooler"]["problem"].is_null());
    // Which requests pay, from traces: none were received here.
    assert_eq!(view["waits"]["traces"], 0, "{}", view["waits"]);
    assert!(
        view["saturation"]["sentence"]
            .as_str()
            .expect("sentence")
            .contains("% of usable connections in use"),
        "{}",
        view["saturation"]
    );

    // The table says the same for people.
    let table = env.run(&["--config", config, "pool"]).await;
    assert_eq!(table.code, 0, "{}", table.all_output());
    assert!(
        table.stdout.contains("idle in transaction"),
        "{}",
        table.stdout
    );
    assert!(table.stdout.contains("fixture-cli"), "{}", table.stdout);
    assert!(
        table.stdout.contains("no traces in the last 15 min"),
        "{}",
        table.stdout
    );

    // The pooler dies: its panel says so and why, the server still reads.
    drop(through);
    bouncer.stop();
    let run = env
        .run(&["--config", config, "pool", "--format", "json"])
        .await;
    assert_eq!(run.code, 0, "{}", run.all_output());
    let view = run.json();
    let problem = &view["pooler"]["problem"];
    assert!(
        problem["reason"]
            .as_str()
            .expect("reason")
            .contains("is PgBouncer running"),
        "{problem}"
    );
    assert!(
        !view["server"]["sample"].is_null(),
        "the server still reads"
    );
    for secret in [STATS.1, "app-pw", &db.url] {
        assert!(
            !run.all_output().contains(secret),
            "a secret leaked: {secret}"
        );
        assert!(
            !table.all_output().contains(secret),
            "a secret leaked: {secret}"
        );
    }
    idle_tx.execute("ROLLBACK").await.expect("rollback");
}
