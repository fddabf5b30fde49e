//! The PostgreSQL side against the machine's real server: known numbers of
//! idle, active and idle-in-transaction sessions and a lock wait, then the
//! reported counts, ages, blocking pids and tree.

use std::time::Duration;

use readyroom_core::pools::{blocking_tree, saturation, ServerSample};
use readyroom_core::Sensitive;
use readyroom_sources::postgres::{read_server, QueryText};
use readyroom_sources::trust::ExtraRoots;
use readyroom_tests::postgres::{fresh_database, TestDatabase};
use sqlx::{Connection, Executor, PgConnection};

/// A session of the test's own, named so the sample's groups can find it.
async fn session(db: &TestDatabase, application: &str) -> PgConnection {
    let url = format!("{}?application_name={application}", db.url);
    PgConnection::connect(&url).await.expect("fixture session")
}

async fn sample(db: &TestDatabase, text: QueryText) -> ServerSample {
    read_server(
        &Sensitive::new(db.url.clone()),
        &ExtraRoots::default(),
        Duration::from_secs(5),
        Duration::from_secs(2),
        text,
    )
    .await
    .expect("sample")
}

/// The group of `application`'s sessions in a sample.
fn states_of(s: &ServerSample, application: &str) -> readyroom_core::pools::StateCounts {
    s.groups
        .iter()
        .filter(|g| g.application == application)
        .fold(Default::default(), |mut acc, g| {
            acc.active += g.states.active;
            acc.idle += g.states.idle;
            acc.idle_in_transaction += g.states.idle_in_transaction;
            acc.idle_in_transaction_aborted += g.states.idle_in_transaction_aborted;
            acc.other += g.states.other;
            acc.hidden += g.states.hidden;
            acc
        })
}

#[tokio::test]
async fn known_sessions_are_counted_by_state_with_ages_and_the_blocking_tree() {
    let db = fresh_database().await;
    let app = format!("fixture-{:08x}", rand::random::<u32>());
    let mut setup = session(&db, &app).await;
    setup
        .execute("CREATE TABLE accounts (id int PRIMARY KEY, balance int); INSERT INTO accounts VALUES (1, 0), (2, 0)")
        .await
        .expect("table");

    // 3 idle (the setup session among them).
    let idle: Vec<PgConnection> = futures_idle(&db, &app, 2).await;
    // 2 idle in transaction; the first holds a row lock.
    let mut holder = session(&db, &app).await;
    holder
        .execute("BEGIN; UPDATE accounts SET balance = 1 WHERE id = 1")
        .await
        .expect("holder");
    let holder_pid = pid(&mut holder).await;
    let mut idle_tx = session(&db, &app).await;
    idle_tx.execute("BEGIN; SELECT 1").await.expect("idle tx");
    // 1 aborted transaction left open.
    let mut aborted = session(&db, &app).await;
    aborted.execute("BEGIN").await.expect("begin");
    let _ = aborted.execute("SELECT 1/0").await;
    // 2 waiting on the holder's row lock (active, waiting on a Lock), and
    // 1 active running a sleep.
    let mut waiters = Vec::new();
    for _ in 0..2 {
        let mut w = session(&db, &app).await;
        let wpid = pid(&mut w).await;
        let task = tokio::spawn(async move {
            let _ = w
                .execute("UPDATE accounts SET balance = 2 WHERE id = 1")
                .await;
            w
        });
        waiters.push((wpid, task));
    }
    let mut sleeper = session(&db, &app).await;
    let sleeper_pid = pid(&mut sleeper).await;
    let sleeping = tokio::spawn(async move {
        let _ = sleeper
            .execute("SELECT pg_sleep(4) /* the longest query */")
            .await;
        sleeper
    });
    // Let the waits and the sleep begin, and the idle transaction age.
    tokio::time::sleep(Duration::from_millis(1_500)).await;

    let s = sample(&db, QueryText::Hidden).await;
    let mine = states_of(&s, &app);
    assert_eq!(mine.idle, 3, "{mine:?}");
    assert_eq!(mine.idle_in_transaction, 2, "{mine:?}");
    assert_eq!(mine.idle_in_transaction_aborted, 1, "{mine:?}");
    assert_eq!(mine.active, 3, "two lock waiters and the sleeper: {mine:?}");
    assert!(s.usable_connections() > 0 && s.usable_connections() <= s.max_connections);
    assert!(
        s.groups.iter().all(|g| g.application != "readyroom"),
        "Readyroom's own session is never counted"
    );

    // The blocking tree: the holder at the root, both waiters under it.
    let tree = blocking_tree(&s.backends);
    let root = tree.first().expect("a blocking tree");
    assert_eq!(root.pid, holder_pid);
    assert_eq!(root.blocked_total, 2, "{tree:?}");
    let mut waiting: Vec<i32> = s.lock_waits().map(|b| b.pid).collect();
    waiting.sort();
    let mut expected: Vec<i32> = waiters.iter().map(|(p, _)| *p).collect();
    expected.sort();
    assert_eq!(waiting, expected);
    // The first waiter waits on the holder; the second queues behind the
    // first for the row (PostgreSQL's tuple lock), so the tree may be a
    // chain: either way, every wait leads back to the holder.
    for w in s.lock_waits() {
        assert!(
            w.blocked_by
                .iter()
                .all(|p| *p == holder_pid || expected.contains(p)),
            "pg_blocking_pids: {w:?}"
        );
        assert!(
            w.wait_event
                .as_deref()
                .is_some_and(|e| e.starts_with("Lock")),
            "{w:?}"
        );
    }
    assert!(s.lock_waits().any(|w| w.blocked_by == vec![holder_pid]));
    // Ages: the holder has been idle in its transaction for the wait.
    let held = s
        .backends
        .iter()
        .find(|b| b.pid == holder_pid)
        .expect("holder named");
    assert!(held.is_idle_in_transaction());
    assert!(
        held.state_age_ms
            .is_some_and(|ms| (1_000..60_000).contains(&ms)),
        "{held:?}"
    );
    assert!(held.xact_age_ms >= held.state_age_ms, "{held:?}");
    let sleeping_row = s
        .backends
        .iter()
        .find(|b| b.pid == sleeper_pid)
        .expect("sleeper named");
    assert!(
        sleeping_row.query_age_ms.is_some_and(|ms| ms >= 1_000),
        "{sleeping_row:?}"
    );
    assert!(
        s.backends.iter().all(|b| b.query.is_none()),
        "no text unless asked"
    );

    // The sentence names the holder and what it blocks.
    let sat = saturation::saturation(Some(&s), None, None, None);
    assert!(
        sat.sentence
            .contains(&format!("pid {holder_pid} idle in transaction for")),
        "{}",
        sat.sentence
    );
    assert!(
        sat.sentence.contains("blocking 2 sessions"),
        "{}",
        sat.sentence
    );

    // Asked for, the text comes truncated.
    let with_text = sample(&db, QueryText::Shown { max_chars: 16 }).await;
    let text = with_text
        .backends
        .iter()
        .find(|b| b.pid == sleeper_pid)
        .and_then(|b| b.query.clone())
        .expect("the sleeper's text");
    assert_eq!(text, "SELECT pg_sleep(");

    // Release the lock: the waiters finish.
    holder.execute("ROLLBACK").await.expect("rollback");
    for (_, task) in waiters {
        let _ = task.await;
    }
    let _ = sleeping.await;
    drop((idle, idle_tx, aborted, setup));
}

async fn futures_idle(db: &TestDatabase, app: &str, n: usize) -> Vec<PgConnection> {
    let mut v = Vec::new();
    for _ in 0..n {
        v.push(session(db, app).await);
    }
    v
}

async fn pid(conn: &mut PgConnection) -> i32 {
    sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(conn)
        .await
        .expect("pid")
}

#[tokio::test]
async fn the_counters_grow_with_commits() {
    let db = fresh_database().await;
    let before = sample(&db, QueryText::Hidden).await;
    let mut c = session(&db, "fixture-commits").await;
    for _ in 0..20 {
        c.execute("BEGIN; SELECT 1; COMMIT").await.expect("commit");
    }
    // pg_stat_database is updated when a session reports its stats.
    drop(c);
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let after = sample(&db, QueryText::Hidden).await;
    let rates = readyroom_core::pools::server_rates(&before, &after, time::Duration::seconds(60))
        .expect("rates");
    assert!(
        after.xact_commit >= before.xact_commit + 20,
        "{} then {}",
        before.xact_commit,
        after.xact_commit
    );
    assert!(rates.commits_per_second > 0.0);
}
