//! Bad input: each a clear message, the right exit code, and nothing stored.

use std::sync::Arc;

use readyroom_tests::targets::{self, Knobs};
use readyroom_tests::TestEnv;

async fn assert_nothing_stored(env: &TestEnv) {
    let history = env.run(&["history", "--format", "json"]).await;
    assert_eq!(history.code, 0, "{}", history.all_output());
    assert_eq!(
        history.json(),
        serde_json::json!([]),
        "a failed run must store nothing"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_config_says_where_it_looked() {
    let env = TestEnv::new();
    let missing = env.path("nope.toml");
    let run = env
        .run(&["--config", missing.to_str().expect("utf8"), "score"])
        .await;
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("no config file at") && run.stderr.contains("nope.toml"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty());
    assert_nothing_stored(&env).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn readyroom_config_variable_is_honoured() {
    let mut env = TestEnv::new();
    let config = env.config("[environments.staging]\n");
    env.set_env("READYROOM_CONFIG", config.to_str().expect("utf8"));
    let run = env.run(&["config", "path"]).await;
    assert_eq!(run.stdout.trim(), config.to_str().expect("utf8"));
    let run = env.run(&["config", "check"]).await;
    assert_eq!(run.code, 0, "{}", run.all_output());
    assert!(
        run.stdout.contains("ok (1 environment(s): staging)"),
        "{}",
        run.stdout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_environment_is_a_usage_error_listing_the_known_ones() {
    let env = TestEnv::new();
    let config = env.config("[environments.prod]\n[environments.staging]\n");
    let path = config.to_str().expect("utf8");
    let run = env.run(&["--config", path, "score", "--env", "qa"]).await;
    assert_eq!(run.code, 2, "{}", run.all_output());
    assert!(
        run.stderr.contains("unknown environment 'qa'") && run.stderr.contains("prod, staging"),
        "{}",
        run.stderr
    );
    let run = env.run(&["--config", path, "score"]).await;
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("--env NAME"), "{}", run.stderr);
    assert_nothing_stored(&env).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn config_check_reports_every_problem_with_line() {
    let env = TestEnv::new();
    let config = env.config(
        "[environments.prod]\nbase_url = \"ftp://x\"\nhealth_urls = \"https://x/health\"\n\n[environments.prod.postgres]\nurl = \"postgres://u:hunter2@db/app\"\n",
    );
    let path = config.to_str().expect("utf8");
    let run = env.run(&["--config", path, "config", "check"]).await;
    assert_eq!(run.code, 1, "{}", run.all_output());
    assert!(run.stdout.contains(": 4 problem(s)"), "{}", run.stdout);
    assert!(
        run.stdout.contains(":2: environments.prod.base_url"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains(":3: environments.prod.health_urls: expected an array"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains(":5: environments.prod.postgres.url_secret: is required but missing"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains(":6: environments.prod.postgres.url: unknown key"),
        "{}",
        run.stdout
    );
    assert!(
        !run.all_output().contains("hunter2"),
        "a pasted password is never echoed"
    );
    let json = env
        .run(&["--config", path, "config", "check", "--format", "json"])
        .await;
    let report = json.json();
    assert_eq!(report["valid"], false);
    assert!(report["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .all(|p| p["line"].as_u64().is_some()));
    // The same config refuses to score, and stores nothing.
    let run = env.run(&["--config", path, "score"]).await;
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("problem(s)"), "{}", run.stderr);
    assert_nothing_stored(&env).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unreadable_or_bogus_ca_file_is_an_error_before_any_probe() {
    let env = TestEnv::new();
    let addr = targets::serve_http(targets::router(Arc::new(Knobs::default())));
    let config = env.config(&format!(
        "[environments.prod]\nhealth_urls = [\"http://127.0.0.1:{}/health\"]\nca_file = \"missing-ca.pem\"\n",
        addr.port()
    ));
    let path = config.to_str().expect("utf8");
    let run = env.run(&["--config", path, "score"]).await;
    assert_eq!(run.code, 1, "{}", run.all_output());
    assert!(
        run.stderr.contains("cannot read ca_file") && run.stderr.contains("missing-ca.pem"),
        "{}",
        run.stderr
    );
    let check = env.run(&["--config", path, "config", "check"]).await;
    assert_eq!(check.code, 1);
    assert!(
        check.stdout.contains(":3: environments.prod.ca_file"),
        "{}",
        check.stdout
    );
    env.write("missing-ca.pem", "this is not a certificate\n");
    let run = env.run(&["--config", path, "score"]).await;
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("no PEM certificate"), "{}", run.stderr);
    assert_nothing_stored(&env).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_rubric_names_the_culprit_and_scores_nothing() {
    let env = TestEnv::new();
    let rubric =
        readyroom_core::rubric::DEFAULT_RUBRIC_TOML.replacen("points = 5", "points = 6", 1);
    env.write("rubric.toml", &rubric);
    let config = env.config("[settings]\nrubric = \"rubric.toml\"\n[environments.prod]\n");
    let path = config.to_str().expect("utf8");
    let run = env.run(&["--config", path, "score"]).await;
    assert_eq!(run.code, 1, "{}", run.all_output());
    assert!(
        run.stderr
            .contains("category 'infrastructure' has weight 25 but its checks' points sum to 26"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("rubric.toml is invalid"),
        "{}",
        run.stderr
    );
    let check = env.run(&["--config", path, "config", "check"]).await;
    assert_eq!(check.code, 1);
    assert!(check.stdout.contains("settings.rubric"), "{}", check.stdout);
    assert_nothing_stored(&env).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_custom_rubric_replaces_the_default() {
    let env = TestEnv::new();
    let addr = targets::serve_http(targets::router(Arc::new(Knobs::default())));
    env.write(
        "rubric.toml",
        "[[category]]\nid = \"basics\"\nname = \"Basics\"\nweight = 100\n[[category.check]]\nid = \"up\"\nname = \"Up\"\nkind = \"health_endpoint\"\npoints = 100\npass = 2000\npartial = 4000\n",
    );
    let config = env.config(&format!(
        "[settings]\nrubric = \"rubric.toml\"\n[environments.prod]\nhealth_urls = [\"http://127.0.0.1:{}/health\"]\n",
        addr.port()
    ));
    let run = env.score_json(config.to_str().expect("utf8")).await;
    assert_eq!(run.code, 0, "{}", run.all_output());
    let card = run.json();
    assert_eq!(card["score"], 100.0);
    assert_eq!(card["grade"], "A");
    assert_eq!(card["coverage"], 100.0);
    assert_eq!(
        run.check("up")["threshold"],
        "every URL 2xx; pass < 2000 ms, partial < 4000 ms"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn help_is_on_every_command_and_bad_flags_are_usage_errors() {
    let env = TestEnv::new();
    for args in [
        vec!["--help"],
        vec!["score", "--help"],
        vec!["history", "--help"],
        vec!["secret", "set", "--help"],
        vec!["secret", "list", "--help"],
        vec!["secret", "rm", "--help"],
        vec!["config", "check", "--help"],
        vec!["demo", "--help"],
    ] {
        let run = env.run(&args).await;
        assert_eq!(run.code, 0, "{args:?}: {}", run.all_output());
        assert!(run.stdout.contains("Usage:"), "{args:?}");
    }
    let run = env.run(&["score", "--format", "yaml"]).await;
    assert_eq!(run.code, 2);
    let run = env.run(&["secret", "set", "db", "hunter2"]).await;
    assert_eq!(
        run.code, 2,
        "a secret value is never accepted as an argument"
    );
}
