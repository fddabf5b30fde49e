//! The local history and `score --diff`.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use readyroom_tests::targets::{self, Knobs};
use readyroom_tests::TestEnv;

#[tokio::test(flavor = "multi_thread")]
async fn history_lists_runs_and_diff_shows_what_changed() {
    let env = TestEnv::new();
    let knobs = Arc::new(Knobs::default());
    let addr = targets::serve_http(targets::router(knobs.clone()));
    let config = env.config(&format!(
        "[environments.prod]\nhealth_urls = [\"http://127.0.0.1:{}/health\"]\n",
        addr.port()
    ));
    let path = config.to_str().expect("utf8");

    let empty = env.run(&["history"]).await;
    assert_eq!(empty.code, 0);
    assert!(
        empty.stdout.contains("No scorecards stored yet"),
        "{}",
        empty.stdout
    );

    let first = env
        .run(&["--config", path, "score", "--diff", "--format", "json"])
        .await;
    assert_eq!(first.code, 0, "{}", first.all_output());
    assert!(
        first.json().get("diff").is_none(),
        "no previous run, no diff"
    );

    knobs.unhealthy.store(true, Ordering::SeqCst);
    let second = env
        .run(&["--config", path, "score", "--diff", "--format", "json"])
        .await;
    let diff = &second.json()["diff"];
    let changes = diff["changes"].as_array().expect("changes");
    let health = changes
        .iter()
        .find(|c| c["id"] == "infra.health_endpoint")
        .expect("health changed");
    assert_eq!(health["before"], "pass");
    assert_eq!(health["after"], "fail");
    assert_eq!(health["pointsDelta"], -5.0);
    assert!(diff["scoreDelta"].as_f64().expect("delta") < 0.0, "{diff}");

    let text = env.run(&["--config", path, "score", "--diff"]).await;
    assert!(
        text.stdout.contains("Since the previous run"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("No check changed outcome"),
        "{}",
        text.stdout
    );

    let history = env.run(&["history", "--format", "json"]).await;
    let runs = history.json();
    let runs = runs.as_array().expect("array");
    assert_eq!(runs.len(), 3);
    let score = |run: &serde_json::Value| run["score"].as_f64().expect("a numeric score");
    assert!(
        score(&runs[0]) < score(&runs[2]),
        "newest (unhealthy) first: {runs:?}"
    );
    assert_eq!(runs[0]["environment"], "prod");
    assert_eq!(runs[0]["grade"], "F");
    let table = env
        .run(&["--config", path, "history", "--env", "prod"])
        .await;
    assert_eq!(table.code, 0, "{}", table.all_output());
    assert_eq!(
        table.stdout.matches("┆ prod ").count(),
        3,
        "one row per run: {}",
        table.stdout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_environment_is_a_usage_error_for_every_command() {
    let env = TestEnv::new();
    let config = env.config("[environments.prod]\n");
    let path = config.to_str().expect("utf8");
    for args in [
        vec!["score", "--env", "nosuch"],
        vec!["history", "--env", "nosuch"],
        vec!["secret", "list", "--env", "nosuch"],
    ] {
        let mut all = vec!["--config", path];
        all.extend(args.iter().copied());
        let run = env.run(&all).await;
        assert_eq!(run.code, 2, "{args:?}: {}", run.all_output());
        assert!(
            run.stderr
                .contains("unknown environment 'nosuch'; the config defines: prod"),
            "{args:?}: {}",
            run.stderr
        );
    }
}
