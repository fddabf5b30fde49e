//! The secret-leak sweep: a database password goes through every way a
//! PostgreSQL connection can fail, and through malformed `set_secret`
//! calls, with logging at `trace`; then everything Readyroom produced is
//! searched for it: stdout, stderr, the API's answers (problem JSON
//! included), the event stream, and every file of the local store
//! (`-wal` and `-shm` included), in plain, percent-encoded and base64 forms.

use std::path::Path;
use std::time::Duration;

use base64::Engine;
use readyroom_tests::fake_postgres::{self, TlsAnswer};
use readyroom_tests::postgres::PrivateCluster;
use readyroom_tests::serving::start;
use readyroom_tests::targets::{refusing_port, serve_hanging};
use readyroom_tests::TestEnv;

/// Everything Readyroom wrote, labelled by where it came from.
#[derive(Default)]
struct Outputs(Vec<(String, Vec<u8>)>);

impl Outputs {
    fn add(&mut self, label: impl Into<String>, bytes: impl Into<Vec<u8>>) {
        self.0.push((label.into(), bytes.into()));
    }

    fn add_store_files(&mut self, data_dir: &Path, when: &str) {
        let Ok(entries) = std::fs::read_dir(data_dir) else {
            return;
        };
        for entry in entries.flatten() {
            if let Ok(bytes) = std::fs::read(entry.path()) {
                let name = entry.file_name().to_string_lossy().into_owned();
                self.add(format!("store file {name} ({when})"), bytes);
            }
        }
    }

    fn total_bytes(&self) -> usize {
        self.0.iter().map(|(_, b)| b.len()).sum()
    }

    /// Where any of `forms` occurs: labels and offsets only, so a failure
    /// does not print the secret either.
    fn leaks(&self, forms: &[(&str, String)]) -> Vec<String> {
        let mut found = Vec::new();
        for (label, bytes) in &self.0 {
            for (form, needle) in forms {
                if let Some(at) = find(bytes, needle.as_bytes()) {
                    found.push(format!("{form} form in {label} at byte {at}"));
                }
            }
        }
        found
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// One environment per failure mode, each with its own secret.
struct Mode {
    env: &'static str,
    url: String,
}

#[tokio::test(flavor = "multi_thread")]
async fn no_form_of_the_database_password_appears_anywhere_readyroom_writes() {
    // Characters that must be percent-encoded in a URL, so the encoded
    // and plain forms differ.
    let password = format!("Sw33p@pw/{:012x}:z", rand::random::<u64>() >> 16);
    let encoded = percent_encode(&password);
    let b64 = base64::engine::general_purpose::STANDARD;
    let b64url = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let forms = vec![
        ("plain", password.clone()),
        ("percent-encoded", encoded.clone()),
        ("base64", b64.encode(&password)),
        ("base64url", b64url.encode(&password)),
        (
            "base64 user:password",
            b64.encode(format!("app:{password}")),
        ),
    ];

    let (tls_refusing, _received) = fake_postgres::serve(TlsAnswer::Refuse);
    let hanging = serve_hanging();
    let mut modes = vec![
        Mode {
            env: "refused",
            url: format!("postgres://app:{encoded}@127.0.0.1:{}/app", refusing_port()),
        },
        Mode {
            env: "tlsrefused",
            url: format!(
                "postgres://app:{encoded}@0.0.0.0:{}/app",
                tls_refusing.port()
            ),
        },
        Mode {
            env: "badurl",
            url: format!("postgres://app:{encoded}@[::1/app"),
        },
        Mode {
            env: "badport",
            url: format!("postgres://app:{encoded}@127.0.0.1:99999/app"),
        },
        Mode {
            env: "timeout",
            url: format!("postgres://app:{encoded}@127.0.0.1:{}/app", hanging.port()),
        },
    ];
    // A wrong password needs a server that checks passwords.
    let cluster = match PrivateCluster::start() {
        Ok(cluster) => Some(cluster),
        Err(why) => {
            assert!(
                std::env::var_os("READYROOM_REQUIRE_ALL").is_none(),
                "cannot start a private PostgreSQL: {why}"
            );
            eprintln!("SKIPPED the wrong-password mode: cannot start a private PostgreSQL: {why}");
            None
        }
    };
    if let Some(cluster) = &cluster {
        modes.push(Mode {
            env: "wrongpassword",
            url: format!(
                "postgres://app:{encoded}@127.0.0.1:{}/postgres?sslmode=disable",
                cluster.port
            ),
        });
    }

    let mut env = TestEnv::new();
    env.set_env("READYROOM_LOG", "trace");
    let mut config = String::from("[settings]\nprobe_timeout_ms = 1500\n");
    for mode in &modes {
        let secret = format!("{}/database-url", mode.env);
        env.set_env(&readyroom_core::config::secret_env_var(&secret), &mode.url);
        config.push_str(&format!(
            "[environments.{0}]\n[environments.{0}.postgres]\nurl_secret = \"{secret}\"\n",
            mode.env
        ));
    }
    // The sweep can see the secret where it is: in what the test set.
    assert!(find(modes[0].url.as_bytes(), encoded.as_bytes()).is_some());
    let config = env.config(&config);
    let config = config.to_str().expect("utf-8");
    let mut out = Outputs::default();

    // The CLI, each mode, both output formats.
    for mode in &modes {
        for format in ["json", "table"] {
            let run = env
                .run(&[
                    "--config", config, "score", "--env", mode.env, "--format", format,
                ])
                .await;
            let label = format!("`score --env {} --format {format}`", mode.env);
            if format == "json" {
                // Each mode really failed the way it is meant to.
                let check = run.check("infra.connection_headroom");
                assert_eq!(check["outcome"], "unknown", "{}: {check}", mode.env);
                eprintln!("{}: {}", mode.env, check["explanation"]);
            }
            out.add(format!("stdout of {label}"), run.stdout);
            out.add(format!("stderr of {label}"), run.stderr);
        }
    }
    for args in [
        vec!["--config", config, "config", "check", "--format", "json"],
        vec!["--config", config, "secret", "list", "--format", "json"],
        vec!["--config", config, "history", "--format", "json"],
    ] {
        let run = env.run(&args).await;
        out.add(format!("output of {args:?}"), run.stdout + &run.stderr);
    }
    // A malformed `secret set` with the password on stdin.
    let run = env
        .run_with_stdin(
            &["--config", config, "secret", "set", "not a valid name!"],
            Some(&modes[0].url),
        )
        .await;
    assert_ne!(run.code, 0, "an invalid name is refused");
    out.add(
        "output of a malformed `secret set`",
        run.stdout + &run.stderr,
    );

    // The local API: runs, malformed set_secret calls, the event stream.
    let serving = start(&env, &["--config", config, "serve"]).await;
    let (address, token) = (format!("127.0.0.1:{}", serving.port), serving.token.clone());
    let base = format!("http://{address}");
    let client = reqwest::Client::new();
    let mut events = client
        .get(format!("{base}/api/events?token={token}"))
        .send()
        .await
        .expect("event stream");
    let collector = tokio::spawn(async move {
        let mut all = Vec::new();
        while let Ok(Ok(Some(chunk))) =
            tokio::time::timeout(Duration::from_secs(60), events.chunk()).await
        {
            all.extend_from_slice(&chunk);
        }
        all
    });
    let rpc = |body: String| {
        client
            .post(format!("{base}/api/rpc"))
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    for mode in &modes {
        for cmd in ["run_scorecard", "get_scorecard"] {
            let body = serde_json::json!({ "cmd": cmd, "payload": { "environment": mode.env } });
            let answer = rpc(body.to_string()).await.expect("rpc");
            let text = answer.bytes().await.expect("body");
            out.add(format!("API answer to {cmd} for {}", mode.env), text);
        }
    }
    let url = &modes[0].url;
    let quoted = serde_json::to_string(url).expect("JSON string");
    for body in [
        format!(r#"{{"cmd":"set_secret","payload":{quoted}}}"#),
        format!(r#"{{"cmd":"set_secret","payload":{{"name":[{quoted}],"value":"x"}}}}"#),
        format!(r#"{{"cmd":"set_secret","payload":{{"name":"a","value":{{"v":{quoted}}}}}}}"#),
        format!(r#"{{"cmd":"set_secret","payload":{{"name":"not a name!","value":{quoted}}}}}"#),
        format!(r#"{{"cmd":"set_secret","payload":{{"name":"a","value":{quoted}"#),
        format!(r#"{{"cmd":{quoted}}}"#),
    ] {
        let answer = rpc(body).await.expect("rpc");
        assert!(!answer.status().is_success(), "a malformed call is refused");
        let text = answer.bytes().await.expect("body");
        out.add("API answer (problem JSON) to a malformed set_secret", text);
    }
    for (cmd, payload) in [
        ("get_app_info", serde_json::json!({})),
        ("list_secrets", serde_json::json!({})),
        (
            "get_source_status",
            serde_json::json!({ "environment": "refused" }),
        ),
        (
            "list_history",
            serde_json::json!({ "environment": "refused" }),
        ),
    ] {
        let body = serde_json::json!({ "cmd": cmd, "payload": payload });
        let answer = rpc(body.to_string()).await.expect("rpc");
        let text = answer.bytes().await.expect("body");
        out.add(format!("API answer to {cmd}"), text);
    }
    // The store while the server holds it open (the WAL not yet folded in).
    out.add_store_files(&env.data_dir(), "while serving");

    serving.interrupt();
    let end = serving.exited(std::time::Instant::now()).await;
    assert_eq!(end.code, 0, "serve stopped cleanly: {}", end.stderr);
    assert!(
        end.stderr.contains("DEBUG"),
        "serve logged verbosely (READYROOM_LOG=trace)"
    );
    out.add("stdout of serve", end.stdout);
    out.add("stderr of serve", end.stderr);
    out.add("event stream", collector.await.expect("collector"));
    out.add_store_files(&env.data_dir(), "after exit");

    eprintln!(
        "swept {} outputs ({} KiB) for {} forms across {} failure modes",
        out.0.len(),
        out.total_bytes() / 1024,
        forms.len(),
        modes.len()
    );
    let leaks = out.leaks(&forms);
    assert!(
        leaks.is_empty(),
        "the password leaked:\n{}",
        leaks.join("\n")
    );
    drop(cluster);
}
