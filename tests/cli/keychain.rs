//! Secrets in the real OS keychain (Secret Service under dbus-run-session;
//! the README's test command starts one).

use readyroom_tests::postgres::fresh_database;
use readyroom_tests::TestEnv;

#[tokio::test(flavor = "multi_thread")]
async fn secret_set_list_use_and_remove_never_show_the_value() {
    let db = fresh_database().await;
    let url = db.url.clone();
    let name = format!("test-{:08x}/database-url", rand::random::<u32>());
    let env = TestEnv::new();
    let config = env.config(&format!(
        "[environments.prod]\n[environments.prod.postgres]\nurl_secret = \"{name}\"\n"
    ));
    let path = config.to_str().expect("utf8");

    let Some(set) = env.keychain_set(&name, &url).await else {
        return;
    };
    let mut outputs = vec![set.all_output()];

    let list = env
        .run(&["--config", path, "secret", "list", "--format", "json"])
        .await;
    assert_eq!(list.code, 0, "{}", list.all_output());
    let rows = list.json();
    assert_eq!(rows[0]["name"], name.as_str());
    assert_eq!(rows[0]["set"], true);
    assert_eq!(rows[0]["from"], "keychain");
    assert_eq!(rows[0]["key"], "postgres.url_secret");
    outputs.push(list.all_output());

    let score = env.score_json(path).await;
    assert_eq!(score.code, 0, "{}", score.all_output());
    assert_ne!(
        score.check("infra.connection_headroom")["outcome"],
        "unknown",
        "the keychain URL was used"
    );
    outputs.push(score.all_output());
    let table = env.run(&["--config", path, "secret", "list"]).await;
    assert!(table.stdout.contains("set (keychain)"), "{}", table.stdout);
    outputs.push(table.all_output());

    let rm = env.run(&["secret", "rm", &name]).await;
    assert_eq!(rm.code, 0, "{}", rm.all_output());
    let again = env.run(&["secret", "rm", &name]).await;
    assert_eq!(again.code, 1);
    assert!(
        again.stderr.contains("not in the OS keychain"),
        "{}",
        again.stderr
    );
    let list = env
        .run(&["--config", path, "secret", "list", "--format", "json"])
        .await;
    assert_eq!(list.json()[0]["set"], false);

    let db_name = url.rsplit('/').next().expect("db name");
    for out in outputs {
        assert!(!out.contains(&url), "the secret value leaked: {out}");
        assert!(
            !out.contains(&format!("postgres@127.0.0.1:5432/{db_name}")),
            "{out}"
        );
    }
    let store = std::fs::read(env.data_dir().join("readyroom.db")).expect("store");
    assert!(
        !String::from_utf8_lossy(&store).contains(&url),
        "the store holds no secret"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn empty_or_oversized_input_stores_nothing() {
    let env = TestEnv::new();
    let run = env
        .run_with_stdin(&["secret", "set", "empty-one"], Some("\n"))
        .await;
    assert_eq!(run.code, 1, "{}", run.all_output());
    assert!(
        run.stderr.contains("empty; nothing was stored"),
        "{}",
        run.stderr
    );
    let big = "x".repeat(70 * 1024);
    let run = env
        .run_with_stdin(&["secret", "set", "big-one"], Some(&big))
        .await;
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("more than 64 KiB"), "{}", run.stderr);
    let run = env
        .run_with_stdin(&["secret", "set", "bad name"], Some("v"))
        .await;
    assert_eq!(run.code, 2, "{}", run.all_output());
}
