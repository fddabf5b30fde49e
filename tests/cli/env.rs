//! `readyroom config init` and `readyroom env add|rename|rm|list` through
//! the binary: the file created in the platform config dir (XDG) when
//! there is none, a user's comment surviving every edit, an invalid value
//! refused with its reason and nothing written, the previous file kept.

use readyroom_tests::TestEnv;

fn config_file(env: &TestEnv) -> std::path::PathBuf {
    env.path("xdg-config").join("readyroom/config.toml")
}

#[tokio::test(flavor = "multi_thread")]
async fn init_then_env_add_rename_rm_keep_the_users_comments() {
    let env = TestEnv::new();
    // No terminal and no --env: nothing to ask with, nothing written.
    let asked = env.run(&["config", "init"]).await;
    assert_eq!(asked.code, 2, "{}", asked.all_output());
    assert!(asked.stderr.contains("pass --env NAME"), "{}", asked.stderr);
    assert!(!config_file(&env).exists());

    let init = env
        .run(&[
            "config",
            "init",
            "--env",
            "prod",
            "--base-url",
            "https://app.example.com/",
            "--health-url",
            "https://app.example.com/health",
        ])
        .await;
    assert_eq!(init.code, 0, "{}", init.all_output());
    let path = config_file(&env);
    assert!(
        init.stderr.contains(&path.display().to_string()),
        "{}",
        init.stderr
    );
    let again = env.run(&["config", "init", "--env", "x"]).await;
    assert_eq!(again.code, 1, "{}", again.all_output());
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
    let check = env.run(&["config", "check"]).await;
    assert_eq!(check.code, 0, "{}", check.all_output());

    // The user annotates the file by hand; every later edit keeps it.
    let text = std::fs::read_to_string(&path).expect("config");
    std::fs::write(
        &path,
        text.replace(
            "[environments.prod]",
            "# The paying one.\n[environments.prod]",
        ),
    )
    .expect("edit");
    for args in [
        vec![
            "env",
            "add",
            "staging",
            "--base-url",
            "https://staging.example.com/",
        ],
        vec!["env", "add", "qa", "--default"],
        vec!["env", "rename", "qa", "preview"],
        vec!["env", "rm", "staging"],
    ] {
        let run = env.run(&args).await;
        assert_eq!(run.code, 0, "{args:?}: {}", run.all_output());
        assert!(
            run.stderr.contains("The previous file is kept as"),
            "{}",
            run.stderr
        );
    }
    let text = std::fs::read_to_string(&path).expect("config");
    assert!(
        text.contains("# The paying one.\n[environments.prod]"),
        "{text}"
    );
    assert!(text.contains("default_environment = \"preview\""), "{text}");
    assert!(text.contains("[environments.preview]"), "{text}");
    assert!(
        !text.contains("staging") && !text.contains("[environments.qa]"),
        "{text}"
    );
    let backup = std::fs::read_to_string(path.with_file_name("config.toml.bak")).expect("backup");
    assert!(
        backup.contains("[environments.staging]"),
        "the file before the last edit: {backup}"
    );

    let list = env.run(&["env", "list", "--format", "json"]).await;
    assert_eq!(list.code, 0, "{}", list.all_output());
    let view = list.json();
    let names: Vec<&str> = view["environments"]
        .as_array()
        .expect("environments")
        .iter()
        .filter_map(|e| e["name"].as_str())
        .collect();
    assert_eq!(names, ["prod", "preview"]);
    assert_eq!(view["environments"][1]["default"], true);
    assert_eq!(
        view["environments"][0]["baseUrl"],
        "https://app.example.com/"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invalid_value_or_name_is_refused_with_its_reason_and_nothing_is_written() {
    let env = TestEnv::new();
    let init = env.run(&["config", "init", "--env", "prod"]).await;
    assert_eq!(init.code, 0, "{}", init.all_output());
    let path = config_file(&env);
    let before = std::fs::read(&path).expect("config");

    let bad_url = env
        .run(&["env", "add", "qa", "--base-url", "not a url"])
        .await;
    assert_ne!(bad_url.code, 0, "{}", bad_url.all_output());
    assert!(
        bad_url.stderr.contains("not saved") && bad_url.stderr.contains("base_url"),
        "{}",
        bad_url.stderr
    );
    let bad_name = env.run(&["env", "add", "my prod"]).await;
    assert_eq!(bad_name.code, 2, "{}", bad_name.all_output());
    assert!(
        bad_name.stderr.contains("not an environment name"),
        "{}",
        bad_name.stderr
    );
    let missing = env.run(&["env", "rm", "qa"]).await;
    assert_eq!(missing.code, 2, "{}", missing.all_output());
    assert!(
        missing.stderr.contains("no environment named qa"),
        "{}",
        missing.stderr
    );
    assert_eq!(
        std::fs::read(&path).expect("config"),
        before,
        "nothing written"
    );
    assert!(!path.with_file_name("config.toml.bak").exists());
}
