//! Cancelling and terminating a backend, end to end: the real binary
//! (`pool cancel`, `audit`, `serve`) against sessions on the machine's
//! PostgreSQL. The signal reaches the session picked and no other; every
//! refusal sends nothing; the audit log holds both halves of every action
//! sent, chained.

use std::time::Duration;

use readyroom_tests::postgres::{admin_url, fresh_database, TestDatabase};
use readyroom_tests::{serving, Run, TestEnv};
use sqlx::{Connection, Executor, PgConnection, Row};

fn config(allow: bool) -> String {
    format!(
        "[environments.prod]\n[environments.prod.postgres]\nurl_secret = \"prod/db\"\n{}",
        if allow { "allow_cancel = true\n" } else { "" }
    )
}

/// A session on `db` named `application`, as `url` logs in.
async fn session(url: &str, application: &str) -> PgConnection {
    PgConnection::connect(&format!("{url}?application_name={application}"))
        .await
        .expect("session")
}

/// Its pid, once it is in `state` (polled: the server reports it after the
/// client's statement arrived; up to 30 s, as a machine running every
/// suite at once may take seconds).
async fn pid_in_state(db: &TestDatabase, application: &str, state: &str) -> i32 {
    let mut admin = PgConnection::connect(&db.url).await.expect("admin");
    for _ in 0..600 {
        let row = sqlx::query(
            // Tests run side by side: this database's sessions only.
            "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND state = $2 AND datname = current_database()",
        )
        .bind(application)
        .bind(state)
        .fetch_optional(&mut admin)
        .await
        .expect("activity");
        if let Some(row) = row {
            return row.get("pid");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{application} never reached {state}");
}

/// A session running a long query in the background; its result comes
/// back on the handle.
async fn sleeping(
    db: &TestDatabase,
    application: &str,
) -> (i32, tokio::task::JoinHandle<Result<(), String>>) {
    let mut conn = session(&db.url, application).await;
    let task = tokio::spawn(async move {
        conn.execute("SELECT pg_sleep(60)")
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    });
    (pid_in_state(db, application, "active").await, task)
}

fn env_for(db: &TestDatabase, allow: bool) -> (TestEnv, String) {
    let mut env = TestEnv::new();
    env.set_env("READYROOM_SECRET_PROD_DB", &db.url);
    let config = env.config(&config(allow));
    let config = config.to_str().expect("utf8").to_string();
    (env, config)
}

#[tokio::test(flavor = "multi_thread")]
async fn cancel_stops_the_query_picked_and_the_audit_log_holds_both_halves() {
    let db = fresh_database().await;
    let (pid, victim) = sleeping(&db, "victim-app").await;
    let (bystander_pid, bystander) = sleeping(&db, "bystander-app").await;
    let (env, config) = env_for(&db, true);

    let pid_text = pid.to_string();
    let run = attempt(
        &env,
        &config,
        &pid_text,
        &["holding the pool", "--confirm", "prod", "--format", "json"],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.all_output());
    let done = run.json();
    assert_eq!(done["result"], "done", "{done}");
    assert!(
        run.stderr.contains("victim-app"),
        "what is signalled is shown first: {}",
        run.stderr
    );
    let err = tokio::time::timeout(Duration::from_secs(10), victim)
        .await
        .expect("the query stops")
        .expect("task")
        .expect_err("cancelled");
    assert!(
        err.contains("canceling statement due to user request"),
        "{err}"
    );
    // The other session's query runs on.
    assert!(!bystander.is_finished());
    assert_eq!(
        pid_in_state(&db, "bystander-app", "active").await,
        bystander_pid
    );
    bystander.abort();

    let audit = env
        .run(&["--config", &config, "audit", "--format", "json"])
        .await;
    assert_eq!(audit.code, 0, "{}", audit.all_output());
    let log = audit.json();
    assert!(log["broken"].is_null(), "{log}");
    let entries = log["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 2, "{log}");
    let (outcome, intent) = (&entries[0], &entries[1]);
    assert_eq!(intent["phase"], "intent");
    assert_eq!(intent["action"], "cancel_backend");
    assert_eq!(intent["reason"], "holding the pool");
    assert_eq!(intent["environment"], "prod");
    assert!(
        intent["target"]
            .as_str()
            .expect("target")
            .contains(&format!("pid {pid}")),
        "{intent}"
    );
    assert!(
        intent["operator"].as_str().expect("operator").contains('@'),
        "{intent}"
    );
    assert_eq!(outcome["phase"], "outcome");
    assert_eq!(outcome["intent"], intent["id"]);
    assert_eq!(outcome["result"], "done");
    assert_eq!(outcome["prevHash"], intent["hash"]);
    assert_eq!(intent["outcomeUnknown"], false);
    assert_eq!(done["auditSeq"], outcome["seq"]);

    let table = env.run(&["--config", &config, "audit"]).await;
    assert_eq!(table.code, 0, "{}", table.all_output());
    assert!(
        table.stdout.contains("2 entries, chain verified"),
        "{}",
        table.stdout
    );
    // The database URL (a secret) is nowhere in what was printed.
    for out in [&run, &audit, &table] {
        assert!(!out.all_output().contains(&db.url), "{}", out.all_output());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn terminate_ends_a_session_left_idle_in_transaction() {
    let db = fresh_database().await;
    let mut stuck = session(&db.url, "stuck-app").await;
    stuck.execute("BEGIN; SELECT 1").await.expect("begin");
    let pid = pid_in_state(&db, "stuck-app", "idle in transaction").await;
    let (env, config) = env_for(&db, true);
    let run = attempt(
        &env,
        &config,
        &pid.to_string(),
        &["holding locks", "--terminate", "--confirm", "prod"],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.all_output());
    assert!(
        run.stdout.contains(&format!("terminated pid {pid}")),
        "{}",
        run.stdout
    );
    let after = stuck.execute("SELECT 1").await;
    assert!(after.is_err(), "the session was ended");
}

/// `pool cancel PID --reason …` with `rest` after the reason's flag.
async fn attempt(env: &TestEnv, config: &str, pid: &str, rest: &[&str]) -> Run {
    let mut args = vec!["--config", config, "pool", "cancel", pid, "--reason"];
    args.extend_from_slice(rest);
    env.run(&args).await
}

#[tokio::test(flavor = "multi_thread")]
async fn refusals_send_nothing_write_nothing_and_say_why() {
    let db = fresh_database().await;
    let (pid, victim) = sleeping(&db, "victim-app").await;
    let pid_text = pid.to_string();
    // Off in the config.
    let (env, config) = env_for(&db, false);
    let off = attempt(&env, &config, &pid_text, &["why", "--confirm", "prod"]).await;
    assert_eq!(off.code, 1, "{}", off.all_output());
    assert!(
        off.stderr
            .contains("set allow_cancel = true in [environments.prod.postgres]"),
        "{}",
        off.stderr
    );

    let (env, config) = env_for(&db, true);
    // The wrong name typed.
    let wrong = attempt(
        &env,
        &config,
        &pid_text,
        &["why", "--confirm", "production"],
    )
    .await;
    assert_eq!(wrong.code, 1, "{}", wrong.all_output());
    assert!(
        wrong
            .stderr
            .contains("not confirmed: type the environment's name, prod"),
        "{}",
        wrong.stderr
    );
    // No terminal to type it on, and no --confirm.
    let unconfirmed = attempt(&env, &config, &pid_text, &["why"]).await;
    assert_eq!(unconfirmed.code, 2, "{}", unconfirmed.all_output());
    assert!(
        unconfirmed.stderr.contains("pass --confirm prod"),
        "{}",
        unconfirmed.stderr
    );
    // No reason.
    let blank = attempt(&env, &config, &pid_text, &["  ", "--confirm", "prod"]).await;
    assert_eq!(blank.code, 2, "{}", blank.all_output());
    assert!(
        blank.stderr.contains("a reason is required"),
        "{}",
        blank.stderr
    );
    // A pid Readyroom does not name (PostgreSQL's own processes included).
    let unknown = attempt(&env, &config, "1", &["x", "--confirm", "prod"]).await;
    assert_eq!(unknown.code, 1, "{}", unknown.all_output());
    assert!(
        unknown.stderr.contains("pid 1 is not among the sessions"),
        "{}",
        unknown.stderr
    );

    // Nothing reached the session, nothing was written.
    assert!(!victim.is_finished());
    victim.abort();
    let audit = env
        .run(&["--config", &config, "audit", "--format", "json"])
        .await;
    assert_eq!(audit.json()["total"], 0, "{}", audit.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_browser_acts_only_when_serve_allows_it_and_never_on_a_pid_reused() {
    let db = fresh_database().await;
    let (pid, victim) = sleeping(&db, "victim-app").await;
    let (env, config) = env_for(&db, true);
    let request = serde_json::json!({
        "environment": "prod", "pid": pid, "application": "victim-app", "username": "postgres",
        "terminate": false, "reason": "from the browser", "confirm": "prod",
    });

    let plain = serving::start(&env, &["--config", &config, "serve"]).await;
    let resp = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{}/api/rpc", plain.port))
        .header("authorization", format!("Bearer {}", plain.token))
        .json(&serde_json::json!({ "cmd": "signal_backend", "payload": request }))
        .send()
        .await
        .expect("rpc");
    assert_eq!(resp.status(), 403);
    let problem: serde_json::Value = resp.json().await.expect("problem json");
    assert!(
        problem["detail"]
            .as_str()
            .expect("detail")
            .contains("--allow-actions"),
        "{problem}"
    );
    plain.interrupt();
    let _ = plain.exited(std::time::Instant::now()).await;

    let allowed = serving::start(&env, &["--config", &config, "serve", "--allow-actions"]).await;
    // The pid as seen, but another application now: the pid was reused.
    let mut reused = request.clone();
    reused["application"] = "billing".into();
    let answer = allowed.rpc("signal_backend", reused).await;
    assert_eq!(answer["result"], "notDone", "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .expect("message")
            .contains("no longer that session"),
        "{answer}"
    );
    assert!(!victim.is_finished(), "nothing reached the session");
    let answer = allowed.rpc("signal_backend", request).await;
    assert_eq!(answer["result"], "done", "{answer}");
    let _ = tokio::time::timeout(Duration::from_secs(10), victim)
        .await
        .expect("cancelled");
    let log = allowed
        .rpc(
            "get_audit_log",
            serde_json::json!({ "environment": "prod" }),
        )
        .await;
    assert_eq!(log["total"], 4, "{log}");
    allowed.interrupt();
    let _ = allowed.exited(std::time::Instant::now()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_monitoring_role_without_the_right_is_told_which_grant_it_lacks() {
    let db = fresh_database().await;
    let suffix = format!("{:08x}", rand::random::<u32>());
    let (victim_role, monitor_role) = (format!("victim_{suffix}"), format!("monitor_{suffix}"));
    let mut admin = PgConnection::connect(&db.url).await.expect("admin");
    for role in [&victim_role, &monitor_role] {
        admin
            .execute(format!("CREATE ROLE {role} LOGIN").as_str())
            .await
            .expect("role");
    }
    // The usual monitoring grant: it reads every session, and may signal none.
    admin
        .execute(format!("GRANT pg_monitor TO {monitor_role}").as_str())
        .await
        .expect("grant");
    let as_role = |role: &str| {
        let mut url = url::Url::parse(&db.url).expect("url");
        url.set_username(role).expect("user");
        url.to_string()
    };
    let mut conn = session(&as_role(&victim_role), "victim-app").await;
    let victim = tokio::spawn(async move { conn.execute("SELECT pg_sleep(60)").await.map(|_| ()) });
    let pid = pid_in_state(&db, "victim-app", "active").await;

    let mut env = TestEnv::new();
    env.set_env("READYROOM_SECRET_PROD_DB", &as_role(&monitor_role));
    let config = env.config(&config(true));
    let run = attempt(
        &env,
        config.to_str().expect("utf8"),
        &pid.to_string(),
        &["x", "--confirm", "prod", "--format", "json"],
    )
    .await;
    assert_eq!(run.code, 1, "{}", run.all_output());
    let answer = run.json();
    assert_eq!(answer["result"], "notDone", "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .expect("message")
            .contains("GRANT pg_signal_backend"),
        "{answer}"
    );
    assert!(!victim.is_finished());
    victim.abort();
    // Roles are the server's, not the database's: dropped here.
    drop(db);
    let mut server = PgConnection::connect(&admin_url()).await.expect("server");
    for role in [&victim_role, &monitor_role] {
        let _ = server
            .execute(format!("DROP ROLE IF EXISTS {role}").as_str())
            .await;
    }
}
