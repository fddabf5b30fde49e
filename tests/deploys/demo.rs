//! The path a new user walks first, end to end through the real binary:
//! the demo production's provider lists its releases; the drill deploys
//! the bad one and the score drops; `rollback` (a dry run first) moves
//! production back with the provider's token, health is verified, and the
//! score recovers; `rollback --undo` goes forward again, and verification
//! says plainly that production is not healthy. The audit log has every
//! step, chained.

use readyroom_demo::{Demo, DemoSecrets, Options};
use readyroom_tests::TestEnv;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread")]
async fn demo_provider_drill_rollback_verified_score_recovers_and_undo_says_unhealthy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let demo = Demo::start(Options {
        traffic: false,
        ..Options::sqlite_in(dir.path())
    })
    .await
    .expect("demo starts");
    let mut env = TestEnv::new();
    let ca = env.write("demo-ca.pem", &demo.ca_pem);
    let mut text = demo.config_toml(
        &ca.display().to_string(),
        &DemoSecrets {
            deploy: Some("demo/provider-token"),
            ..Default::default()
        },
    );
    // Verification gives up sooner than its 2 min default, for the undo.
    text.push_str("verify_timeout_ms = 3000\nverify_every_ms = 500\n");
    let config = env.config(&text);
    let config = config.to_str().expect("utf8");
    env.set_env("READYROOM_SECRET_DEMO_PROVIDER_TOKEN", &demo.provider_token);
    let run = |args: Vec<&'static str>| {
        let env = &env;
        async move {
            let mut all = vec!["--config", config];
            all.extend(args);
            env.run(&all).await
        }
    };

    let listed = run(vec!["deploys", "--format", "json"]).await;
    assert_eq!(listed.code, 0, "{}", listed.all_output());
    let view = listed.json();
    assert_eq!(view["listing"]["current"], "dpl_7c9");
    assert_eq!(view["next"]["to"]["id"], "dpl_7b4", "the release before");
    assert_eq!(view["listing"]["deployments"][0]["author"], "Sam Okafor");

    demo.drill().expect("the bad release deploys");
    let before = run(vec!["score", "--format", "json"]).await;
    assert_ne!(before.check("infra.health_dependencies")["outcome"], "pass");
    // The provider could roll back now; nobody has rehearsed it yet.
    let ready = before.check("infra.rollback_ready");
    assert_eq!(ready["outcome"], "pass", "{ready}");
    assert!(
        ready["measured"]
            .as_str()
            .expect("measured")
            .contains("→ dpl_7c9"),
        "{ready}"
    );
    assert_eq!(before.check("rel.rollback_drill")["outcome"], "fail");

    // Refusals first: no reason, the wrong name typed, no terminal.
    let no_reason = run(vec!["rollback", "--reason", " ", "--confirm", "demo"]).await;
    assert_eq!(no_reason.code, 2, "{}", no_reason.all_output());
    let wrong = run(vec![
        "rollback",
        "--reason",
        "bad release",
        "--confirm",
        "prod",
    ])
    .await;
    assert_eq!(wrong.code, 1);
    assert!(
        wrong.stderr.contains("type the environment's name, demo"),
        "{}",
        wrong.stderr
    );
    let unconfirmed = run(vec!["rollback", "--reason", "bad release"]).await;
    assert_eq!(unconfirmed.code, 2, "{}", unconfirmed.all_output());
    assert!(
        unconfirmed.stderr.contains("--confirm demo"),
        "{}",
        unconfirmed.stderr
    );
    assert_eq!(
        demo_current(&run(vec!["deploys", "--format", "json"]).await.json()),
        "dpl_7d2"
    );

    let dry = run(vec![
        "rollback",
        "--reason",
        "2.15.0 saturates the pool",
        "--confirm",
        "demo",
        "--dry-run",
        "--format",
        "json",
    ])
    .await;
    assert_eq!(dry.code, 0, "{}", dry.all_output());
    assert_eq!(dry.json()["result"], "dryRun");
    assert_eq!(
        demo_current(&run(vec!["deploys", "--format", "json"]).await.json()),
        "dpl_7d2",
        "a dry run sends nothing"
    );

    let rolled = run(vec![
        "rollback",
        "--reason",
        "2.15.0 saturates the pool",
        "--confirm",
        "demo",
        "--format",
        "json",
    ])
    .await;
    assert_eq!(rolled.code, 0, "{}", rolled.all_output());
    let outcome = rolled.json();
    assert_eq!(outcome["result"], "done");
    assert_eq!(outcome["providerStatus"], 201);
    assert_eq!(
        outcome["preflight"]["plan"]["to"]["id"], "dpl_7c9",
        "back to the release before the bad one"
    );
    assert_eq!(outcome["verification"]["outcome"]["outcome"], "healthy");
    assert!(
        outcome["message"]
            .as_str()
            .expect("message")
            .contains("production is healthy"),
        "{}",
        outcome["message"]
    );

    // The checks the bad release failed recover. (The total is not
    // compared: the demo's pool checks race its own health probe and
    // metrics scrape, with or without a rollback.)
    let after = run(vec!["score", "--format", "json"]).await;
    for id in [
        "infra.health_endpoint",
        "infra.health_dependencies",
        "perf.health_latency",
    ] {
        assert_ne!(before.check(id)["outcome"], "pass", "{id} before");
        assert_eq!(after.check(id)["outcome"], "pass", "{id} after");
    }
    let drill = after.check("rel.rollback_drill");
    assert_eq!(drill["outcome"], "pass", "{drill}");
    assert!(
        drill["measured"]
            .as_str()
            .expect("measured")
            .starts_with("last rollback"),
        "{drill}"
    );
    let view = run(vec!["deploys", "--format", "json"]).await.json();
    assert_eq!(view["undo"]["to"], "dpl_7d2");
    // Each run's health sample named the release that answered it: the
    // bad one was seen degraded, the one rolled back to seen healthy.
    let seen = &view["seen"];
    assert_eq!(seen["dpl_7d2"]["samples"], 1, "{seen}");
    assert_eq!(seen["dpl_7d2"]["healthy"], 0, "{seen}");
    assert_eq!(seen["dpl_7c9"]["samples"], 1, "{seen}");
    assert_eq!(seen["dpl_7c9"]["healthy"], 1, "{seen}");
    assert!(seen.get("dpl_7b4").is_none(), "never seen: {seen}");
    let table = run(vec!["deploys"]).await;
    assert!(
        table.stdout.contains("0/1 healthy") && table.stdout.contains("1/1 healthy"),
        "{}",
        table.stdout
    );
    let undone = run(vec![
        "rollback",
        "--undo",
        "--reason",
        "drill over",
        "--confirm",
        "demo",
    ])
    .await;
    assert_eq!(
        undone.code,
        1,
        "done, but not healthy after: {}",
        undone.all_output()
    );
    assert!(
        undone.stdout.contains("production is NOT healthy"),
        "{}",
        undone.stdout
    );
    assert!(undone.stdout.contains("Health after:"), "{}", undone.stdout);

    let audit = run(vec!["audit", "--format", "json"]).await;
    assert_eq!(audit.code, 0, "the chain verifies: {}", audit.all_output());
    let log = audit.json();
    let phases: Vec<(String, String)> = log["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .rev()
        .map(|e| {
            (
                e["action"].as_str().unwrap_or("").to_string(),
                e["phase"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    // The refusals wrote nothing; then the dry run, the rollback, the undo.
    let expected: Vec<(String, String)> = [
        ("rollback", "intent"),
        ("rollback", "outcome"),
        ("rollback", "intent"),
        ("rollback", "outcome"),
        ("rollback", "verification"),
        ("undo_rollback", "intent"),
        ("undo_rollback", "outcome"),
        ("undo_rollback", "verification"),
    ]
    .iter()
    .map(|(a, p)| (a.to_string(), p.to_string()))
    .collect();
    assert_eq!(phases, expected);
    let newest = &log["entries"][0];
    assert_eq!(newest["deploy"]["healthy"], false);
    assert_eq!(newest["deploy"]["from"], "dpl_7c9");
    assert_eq!(newest["deploy"]["to"], "dpl_7d2");
    assert_eq!(newest["deploy"]["providerStatus"], 201);
    assert_eq!(log["entries"][7]["deploy"]["dryRun"], true);
    for output in [&listed, &dry, &rolled, &undone, &audit] {
        assert!(
            !output.all_output().contains(&demo.provider_token),
            "the token never shows"
        );
    }
    demo.shutdown();
}

fn demo_current(view: &Value) -> &str {
    view["listing"]["current"].as_str().expect("current")
}
