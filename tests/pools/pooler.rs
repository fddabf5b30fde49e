//! The pooler's side against a real PgBouncer the test starts: its pools
//! driven past their size, waits from counters, a restart.

use std::time::Duration;

use readyroom_core::pools::{pooler_rates, NoRate, PoolerSample};
use readyroom_core::Sensitive;
use readyroom_sources::pgbouncer::read_pooler;
use readyroom_sources::trust::ExtraRoots;
use readyroom_tests::pgbouncer::{self, PgBouncer, ADMIN, APP, STATS};
use readyroom_tests::postgres::fresh_database;
use sqlx::{Connection, Executor, PgConnection};

fn started(database: &str, pool_size: u32) -> PgBouncer {
    match pgbouncer::start(database, pool_size) {
        Ok(b) => b,
        Err(e) => panic!("cannot run PgBouncer here: {e}"),
    }
}

fn database_name(url: &str) -> String {
    url.rsplit('/').next().expect("db name").to_string()
}

async fn sample(b: &PgBouncer) -> PoolerSample {
    read_pooler(
        &Sensitive::new(b.console_url(STATS)),
        &ExtraRoots::default(),
        Duration::from_secs(5),
    )
    .await
    .expect("pooler sample")
}

/// `n` clients through the pooler, each holding a server connection for
/// `hold` inside one transaction.
fn load(b: &PgBouncer, n: usize, hold: Duration) -> Vec<tokio::task::JoinHandle<()>> {
    (0..n)
        .map(|_| {
            let url = b.database_url(APP);
            tokio::spawn(async move {
                let mut c = PgConnection::connect(&url)
                    .await
                    .expect("app through pooler");
                let sql = format!("SELECT pg_sleep({})", hold.as_secs_f64());
                c.execute(sql.as_str()).await.expect("query");
                let _ = c.close().await;
            })
        })
        .collect()
}

#[tokio::test]
async fn clients_past_the_pool_size_wait_and_their_wait_shows_in_the_counters() {
    let db = fresh_database().await;
    let bouncer = started(&database_name(&db.url), 2);
    // PgBouncer lists a pool once a client has used it.
    for c in load(&bouncer, 1, Duration::from_millis(10)) {
        c.await.expect("client");
    }
    let quiet = sample(&bouncer).await;
    let pool = quiet
        .pools
        .iter()
        .find(|p| p.database == "app")
        .expect("the app pool");
    assert_eq!(pool.cl_waiting, 0);
    assert_eq!(pool.pool_mode, "transaction");
    assert!(
        quiet.pools.iter().all(|p| p.database != "pgbouncer"),
        "the console's own pseudo-database is left out"
    );
    let app_db = quiet
        .databases
        .iter()
        .find(|d| d.name == "app")
        .expect("SHOW DATABASES");
    assert_eq!(app_db.pool_size, 2);

    // Six clients, two server connections, each held 1.5 s: four wait.
    let clients = load(&bouncer, 6, Duration::from_millis(1_500));
    tokio::time::sleep(Duration::from_millis(700)).await;
    let busy = sample(&bouncer).await;
    let pool = busy
        .pools
        .iter()
        .find(|p| p.database == "app")
        .expect("app pool");
    assert_eq!(pool.cl_waiting, 4, "{pool:?}");
    assert_eq!(pool.sv_active, 2, "{pool:?}");
    assert_eq!(busy.clients_waiting(), 4);
    // PgBouncer 1.18 reports whole seconds in maxwait and the rest in
    // maxwait_us; together they are the wait so far.
    assert!(
        (300_000..5_000_000).contains(&busy.max_wait_us()),
        "longest wait {} µs",
        busy.max_wait_us()
    );
    for c in clients {
        c.await.expect("client");
    }
    // PgBouncer folds its counters into SHOW STATS once a second.
    tokio::time::sleep(Duration::from_millis(1_300)).await;
    let after = sample(&bouncer).await;
    let rates = pooler_rates(&quiet, &after, time::Duration::seconds(60)).expect("rates");
    // Two waited ~1.5 s, two ~3 s: about 9 s of waiting in all.
    assert!(rates.wait_ms >= 6_000.0, "{rates:?}");
    assert!(rates.transactions_per_second > 0.0, "{rates:?}");
}

#[tokio::test]
async fn a_spike_between_two_samples_is_still_seen_in_the_derived_waits() {
    let db = fresh_database().await;
    let bouncer = started(&database_name(&db.url), 1);
    let before = sample(&bouncer).await;
    // Three clients on one connection for 0.4 s each: the spike is over
    // before the next sample, which sees nobody waiting.
    for c in load(&bouncer, 3, Duration::from_millis(400)) {
        c.await.expect("client");
    }
    tokio::time::sleep(Duration::from_millis(1_300)).await;
    let after = sample(&bouncer).await;
    assert_eq!(after.clients_waiting(), 0, "the gauge has forgotten it");
    let rates = pooler_rates(&before, &after, time::Duration::seconds(60)).expect("rates");
    // Waits of ~0.4 s and ~0.8 s.
    assert!(rates.wait_ms >= 900.0, "{rates:?}");
    assert!(rates.avg_wait_ms.is_some_and(|ms| ms > 0.0), "{rates:?}");
}

#[tokio::test]
async fn a_restart_is_a_counter_reset_and_the_next_interval_is_whole_again() {
    let db = fresh_database().await;
    let mut bouncer = started(&database_name(&db.url), 2);
    for c in load(&bouncer, 4, Duration::from_millis(50)) {
        c.await.expect("client");
    }
    tokio::time::sleep(Duration::from_millis(1_300)).await;
    let before = sample(&bouncer).await;
    assert!(before
        .counters
        .iter()
        .any(|c| c.database == "app" && c.xact_count >= 4));

    bouncer.restart().expect("restart");
    let fresh = sample(&bouncer).await;
    assert_eq!(
        pooler_rates(&before, &fresh, time::Duration::seconds(60)),
        Err(NoRate::Reset),
        "counters went back to zero: no rate, and no negative one"
    );
    for c in load(&bouncer, 2, Duration::from_millis(50)) {
        c.await.expect("client");
    }
    tokio::time::sleep(Duration::from_millis(1_300)).await;
    let later = sample(&bouncer).await;
    let rates = pooler_rates(&fresh, &later, time::Duration::seconds(60)).expect("whole again");
    assert!(rates.transactions_per_second > 0.0);
}

#[tokio::test]
async fn the_stats_account_is_enough_and_a_wrong_password_says_so_without_it() {
    let db = fresh_database().await;
    let bouncer = started(&database_name(&db.url), 2);
    // The admin account works too; the stats account was used above.
    let by_admin = read_pooler(
        &Sensitive::new(bouncer.console_url(ADMIN)),
        &ExtraRoots::default(),
        Duration::from_secs(5),
    )
    .await;
    assert!(by_admin.is_ok(), "{by_admin:?}");

    let wrong = "not-the-pw-5e1f";
    let err = read_pooler(
        &Sensitive::new(bouncer.console_url((STATS.0, wrong))),
        &ExtraRoots::default(),
        Duration::from_secs(5),
    )
    .await
    .expect_err("wrong password");
    assert!(
        err.reason.contains("rejected the credentials"),
        "{}",
        err.reason
    );
    assert!(!err.reason.contains(wrong) && !err.source.contains(wrong));

    // An account that is neither admin nor stats user is refused the console.
    let err = read_pooler(
        &Sensitive::new(bouncer.console_url(APP)),
        &ExtraRoots::default(),
        Duration::from_secs(5),
    )
    .await
    .expect_err("app user on the console");
    assert!(err.reason.contains("stats_users"), "{}", err.reason);
    assert!(!err.reason.contains(APP.1));
}

#[tokio::test]
async fn a_pooler_that_is_down_or_hangs_fails_in_its_own_time_with_the_reason() {
    let db = fresh_database().await;
    let mut bouncer = started(&database_name(&db.url), 2);
    let url = Sensitive::new(bouncer.console_url(STATS));
    bouncer.stop();
    let err = read_pooler(&url, &ExtraRoots::default(), Duration::from_secs(5))
        .await
        .expect_err("down");
    assert!(
        err.reason.contains("refused the connection"),
        "{}",
        err.reason
    );

    // A listener that accepts and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = silent.local_addr().expect("addr").port();
    let _held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((s, _)) = silent.accept().await {
            open.push(s);
        }
    });
    let hung = Sensitive::new(format!(
        "postgres://{}:{}@127.0.0.1:{port}/pgbouncer",
        STATS.0, STATS.1
    ));
    let err = read_pooler(&hung, &ExtraRoots::default(), Duration::from_millis(800))
        .await
        .expect_err("hangs");
    assert!(err.reason.contains("within 800 ms"), "{}", err.reason);
    assert!(!err.reason.contains(STATS.1));
}
