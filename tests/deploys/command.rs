//! The command provider through the real binary with a real script (as
//! `kubectl rollout undo` would be configured): arguments without a
//! shell, secrets in the variables the config names (and blanked in what
//! it prints), its output in the answer and the audit log, a failing
//! exit, a program that is not there, and one that outlives the timeout.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use axum::routing::get;
use axum::{Json, Router};
use readyroom_tests::targets::serve_http;
use readyroom_tests::TestEnv;
use serde_json::{json, Value};

const SECRET: &str = "kube-7a6b5c4d3e2f-secret";

/// Records its argv (one per line) and the variables it was given, says
/// what a rollout tool says, and echoes its token (to be blanked).
const SCRIPT: &str = r#"#!/bin/sh
dir="$(dirname "$0")"
for a in "$@"; do printf '%s\n' "$a"; done > "$dir/argv.txt"
env | grep -E '^(READYROOM_|DEPLOY_TOKEN=)' | sort > "$dir/env.txt"
echo "deployment.apps/api rolled back"
echo "using token=$DEPLOY_TOKEN" >&2
exit "${EXIT_WITH:-0}"
"#;

fn script(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("script");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

fn healthy_app() -> std::net::SocketAddr {
    serve_http(Router::new().route(
        "/health",
        get(|| async { Json(json!({"status": "ok", "checks": {"database": "ok"}})) }),
    ))
}

struct Setup {
    env: TestEnv,
    config: String,
    dir: PathBuf,
}

impl Setup {
    /// `command` is the TOML list after `command = `.
    fn new(command: impl Fn(&Path) -> String, extra: &str) -> Setup {
        let mut env = TestEnv::new();
        env.set_env("READYROOM_SECRET_PROD_KUBE", SECRET);
        let dir = env.path("tools");
        std::fs::create_dir_all(&dir).expect("dir");
        let text = format!(
            "[environments.prod]\nhealth_urls = [\"http://{}/health\"]\n\n\
             [environments.prod.deploy]\nprovider = \"command\"\ncommand = {}\n\
             env = {{ DEPLOY_TOKEN = \"prod/kube\" }}\nverify_timeout_ms = 3000\nverify_every_ms = 250\n{extra}",
            healthy_app(),
            command(&dir),
        );
        let config = env.config(&text).to_str().expect("utf8").to_string();
        Setup { env, config, dir }
    }

    async fn rollback(&self, args: &[&str]) -> readyroom_tests::Run {
        let mut all = vec!["--config", self.config.as_str(), "rollback"];
        all.extend(args);
        all.extend(["--confirm", "prod", "--format", "json"]);
        let run = self.env.run(&all).await;
        assert!(
            !run.all_output().contains(SECRET),
            "the secret never shows: {}",
            run.all_output()
        );
        run
    }

    async fn audit(&self) -> Vec<Value> {
        let entries = self.env.audit_entries(&self.config).await;
        let all = Value::from(entries.clone()).to_string();
        assert!(!all.contains(SECRET), "the secret is not in the audit log");
        entries
    }
}

fn rollout(dir: &Path) -> String {
    let path = script(dir, "rollout", SCRIPT);
    format!(
        "[\"{}\", \"rollout\", \"undo\", \"deployment/api\", \"--to-revision={{{{target}}}}\", \"--reason={{{{reason}}}}\"]",
        path.display()
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn command_runs_without_a_shell_with_its_secret_in_the_named_variable_and_its_output_kept() {
    let s = Setup::new(rollout, "");
    // A reason a shell would run: here it is one argument, as typed.
    let reason = "$(touch pwned); bad 2.15";
    let run = s.rollback(&["41", "--reason", reason]).await;
    assert_eq!(run.code, 0, "{}", run.all_output());
    let outcome = run.json();
    assert_eq!(outcome["result"], "done");
    assert_eq!(outcome["providerStatus"], 0);
    let message = outcome["message"].as_str().expect("message");
    assert!(
        message.contains("exited 0")
            && message.contains("deployment.apps/api rolled back")
            && message.contains("using token=[secret]"),
        "{message}"
    );
    assert_eq!(outcome["verification"]["outcome"]["outcome"], "healthy");

    let argv = std::fs::read_to_string(s.dir.join("argv.txt")).expect("argv");
    assert_eq!(
        argv.lines().collect::<Vec<_>>(),
        [
            "rollout",
            "undo",
            "deployment/api",
            "--to-revision=41",
            &format!("--reason={reason}")
        ]
    );
    assert!(!s.dir.join("pwned").exists(), "no shell ran the reason");
    assert!(!Path::new("pwned").exists());
    let env = std::fs::read_to_string(s.dir.join("env.txt")).expect("env");
    assert!(env.contains(&format!("DEPLOY_TOKEN={SECRET}")), "{env}");
    assert!(env.contains("READYROOM_ACTION=rollback"), "{env}");
    assert!(env.contains("READYROOM_ENVIRONMENT=prod"), "{env}");
    assert!(env.contains("READYROOM_TARGET=41"), "{env}");
    assert!(
        !env.contains("READYROOM_SECRET_"),
        "Readyroom's own secret variables stay with it: {env}"
    );

    let entries = s.audit().await;
    let outcome = &entries[1];
    assert_eq!(outcome["result"], "done");
    assert!(
        outcome["detail"]
            .as_str()
            .is_some_and(|d| d.contains("rolled back") && d.contains("[secret]")),
        "{outcome}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn command_failing_or_missing_is_not_done_with_its_exit_code_and_words() {
    let mut failing = Setup::new(rollout, "");
    failing.env.set_env("EXIT_WITH", "3");
    let run = failing.rollback(&["--reason", "bad release"]).await;
    assert_eq!(run.code, 1, "{}", run.all_output());
    let outcome = run.json();
    assert_eq!(outcome["result"], "notDone");
    assert_eq!(outcome["providerStatus"], 3);
    let message = outcome["message"].as_str().expect("message");
    assert!(
        message.contains("reports failure (exit code 3")
            && message.contains("rolled back")
            && message.contains("token=[secret]"),
        "{message}"
    );

    let missing = Setup::new(
        |dir| format!("[\"{}\", \"undo\"]", dir.join("not-here").display()),
        "",
    );
    let run = missing.rollback(&["--reason", "bad release"]).await;
    assert_eq!(run.code, 1, "{}", run.all_output());
    let message = run.json()["message"].as_str().expect("message").to_string();
    assert!(
        message.contains("could not be started") && message.contains("production is unchanged"),
        "{message}"
    );
    let entries = missing.audit().await;
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[1]["result"], "notDone");
}

#[tokio::test(flavor = "multi_thread")]
async fn command_outliving_its_timeout_is_killed_and_its_outcome_is_unknown() {
    let s = Setup::new(
        |dir| {
            let path = script(
                dir,
                "slow",
                "#!/bin/sh\necho $$ > \"$(dirname \"$0\")/pid\"\nexec sleep 60\n",
            );
            format!("[\"{}\"]", path.display())
        },
        "timeout_ms = 1500\n",
    );
    let since = Instant::now();
    let run = s.rollback(&["--reason", "bad release"]).await;
    assert!(
        since.elapsed() < Duration::from_secs(40),
        "it did not wait for the command"
    );
    assert_eq!(run.code, 1, "{}", run.all_output());
    let outcome = run.json();
    assert!(outcome["result"].is_null(), "{outcome}");
    assert!(
        outcome["message"]
            .as_str()
            .is_some_and(|m| m.contains("no answer within 1.5 s") && m.contains("outcome unknown")),
        "{outcome}"
    );
    let pid = std::fs::read_to_string(s.dir.join("pid")).expect("pid");
    let alive = Path::new("/proc").join(pid.trim());
    let since = Instant::now();
    while alive.exists()
        && std::fs::read_to_string(alive.join("stat")).is_ok_and(|s| !s.contains(") Z "))
    {
        assert!(
            since.elapsed() < Duration::from_secs(10),
            "the command was killed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let entries = s.audit().await;
    assert_eq!(entries.last().expect("entry")["outcomeUnknown"], true);
}
