//! Scoring with a real PostgreSQL: connection headroom and cache hit from
//! the server's own statistics, and every way the database can be missing.

use readyroom_tests::postgres::{fresh_database, PrivateCluster};
use readyroom_tests::{targets, text, TestEnv};

const SECRET: &str = "prod/database-url";
const SECRET_VAR: &str = "READYROOM_SECRET_PROD_DATABASE_URL";

fn pg_config(env: &TestEnv) -> String {
    env.config(&format!(
        "[environments.prod]\n[environments.prod.postgres]\nurl_secret = \"{SECRET}\"\n"
    ))
    .to_str()
    .expect("utf8")
    .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn headroom_and_cache_hit_come_from_the_server() {
    let db = fresh_database().await;
    let url = db.url.clone();
    let mut env = TestEnv::new();
    env.set_env(SECRET_VAR, &url);
    let config = pg_config(&env);
    let run = env.score_json(&config).await;
    assert_eq!(run.code, 0, "{}", run.all_output());
    let headroom = run.check("infra.connection_headroom");
    assert!(
        ["pass", "partial", "fail"].contains(&text(&headroom, "outcome")),
        "{headroom}"
    );
    let measured = text(&headroom, "measured");
    assert!(
        measured.contains("usable") && measured.contains("max_connections"),
        "{measured}"
    );
    assert!(
        text(&headroom, "source").starts_with("postgres 127.0.0.1:5432/readyroom_test_"),
        "{headroom}"
    );
    let cache = run.check("perf.cache_hit");
    assert_ne!(
        cache["outcome"], "unknown",
        "a fresh database has read catalog blocks: {cache}"
    );
    assert!(text(&cache, "measured").contains("hits"), "{cache}");
    let pooling = run.check("infra.db_pooling");
    assert!(
        text(&pooling, "measured").starts_with("no pooler read"),
        "{pooling}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn readyroom_sessions_are_not_counted() {
    // Hold connections named like Readyroom's own; the reported count must
    // not include them. Other tests share the server, so compare with a
    // count taken the same way at the same moment, allowing their churn.
    let db = fresh_database().await;
    let url = db.url.clone();
    let mut held = Vec::new();
    for _ in 0..8 {
        use sqlx::ConnectOptions;
        let opts: sqlx::postgres::PgConnectOptions = url.parse().expect("url");
        held.push(
            opts.application_name("readyroom")
                .connect()
                .await
                .expect("connect"),
        );
    }
    let mut env = TestEnv::new();
    env.set_env(SECRET_VAR, &url);
    let config = pg_config(&env);
    let run = env.score_json(&config).await;
    let measured = run.check("infra.connection_headroom")["measured"]
        .as_str()
        .expect("str")
        .to_string();
    let reported: i64 = measured
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .expect("count first");
    let mut admin = sqlx::PgConnection::connect_with(&url.parse().expect("url"))
        .await
        .expect("admin");
    use sqlx::Connection;
    let everyone: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'",
    )
    .fetch_one(&mut admin)
    .await
    .expect("count");
    admin.close().await.expect("close");
    assert!(
        reported <= everyone - 8,
        "the 8 sessions named 'readyroom' must be excluded: reported {reported}, all client backends {everyone}"
    );
    drop(held);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unset_secret_is_unknown_and_says_how_to_set_it() {
    let env = TestEnv::new();
    let config = pg_config(&env);
    let run = env.score_json(&config).await;
    assert_eq!(run.code, 0, "{}", run.all_output());
    let headroom = run.check("infra.connection_headroom");
    assert_eq!(headroom["outcome"], "unknown");
    let why = text(&headroom, "explanation");
    if why.contains("keychain is not available") {
        // A bare `cargo test` outside a D-Bus session has no Secret Service;
        // the test command always provides one.
        assert!(
            std::env::var_os("READYROOM_REQUIRE_ALL").is_none(),
            "no keychain under the test command: {why}"
        );
        eprintln!("SKIPPED: no Secret Service in this session");
        return;
    }
    assert_eq!(
        why,
        format!(
            "Could not gather evidence: secret '{SECRET}' is not set; store it with `readyroom secret set {SECRET}` (or set {SECRET_VAR})."
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_database_is_unknown_and_never_blocks_the_rest() {
    let port = targets::refusing_port();
    let addr = targets::serve_http(targets::router(Default::default()));
    let mut env = TestEnv::new();
    env.set_env(
        SECRET_VAR,
        &format!("postgres://app:s3cr3t-pw@127.0.0.1:{port}/app"),
    );
    let config = env.config(&format!(
        "[environments.prod]\nhealth_urls = [\"http://127.0.0.1:{}/health\"]\n[environments.prod.postgres]\nurl_secret = \"{SECRET}\"\n",
        addr.port()
    ));
    let run = env.score_json(config.to_str().expect("utf8")).await;
    assert_eq!(run.code, 0, "{}", run.all_output());
    let headroom = run.check("infra.connection_headroom");
    assert_eq!(headroom["outcome"], "unknown");
    assert!(
        text(&headroom, "explanation").contains("refused the connection"),
        "{headroom}"
    );
    assert_eq!(
        run.check("infra.health_endpoint")["outcome"],
        "pass",
        "other probes are unaffected"
    );
    assert!(
        !run.all_output().contains("s3cr3t-pw"),
        "the password never appears: {}",
        run.all_output()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_password_is_a_clear_unknown_without_the_password() {
    let cluster = match PrivateCluster::start() {
        Ok(c) => c,
        Err(why) => {
            assert!(
                std::env::var_os("READYROOM_REQUIRE_ALL").is_none(),
                "cannot start a private PostgreSQL: {why}"
            );
            eprintln!("SKIPPED: cannot start a private PostgreSQL here: {why}");
            return;
        }
    };
    let mut env = TestEnv::new();
    let wrong = "not-the-password-0451";
    env.set_env(SECRET_VAR, &cluster.url(wrong));
    let config = pg_config(&env);
    let run = env.score_json(&config).await;
    assert_eq!(run.code, 0, "{}", run.all_output());
    let headroom = run.check("infra.connection_headroom");
    assert_eq!(headroom["outcome"], "unknown");
    assert!(
        text(&headroom, "explanation").contains("rejected the credentials"),
        "{headroom}"
    );
    assert!(!run.all_output().contains(wrong), "{}", run.all_output());
    let store = std::fs::read(env.data_dir().join("readyroom.db")).expect("store");
    assert!(
        !String::from_utf8_lossy(&store).contains(wrong),
        "the store holds no password"
    );

    // The right password works against the same server, which allows 20
    // connections of which 3 are reserved.
    env.set_env(SECRET_VAR, &cluster.url(&cluster.password));
    let run = env.score_json(&config).await;
    let headroom = run.check("infra.connection_headroom");
    assert_eq!(headroom["outcome"], "pass", "{headroom}");
    assert!(
        text(&headroom, "measured").starts_with("0 of 17 usable"),
        "{headroom}"
    );
    assert!(!run.all_output().contains(&cluster.password));
}
