//! Running the real `readyroom` binary in an isolated environment.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;

use tokio::io::AsyncWriteExt;

/// Builds the binary once per test process and returns its path. The
/// tests crate is not the binary's package, so cargo does not hand us
/// `CARGO_BIN_EXE_readyroom`; ask cargo where it put the executable.
pub fn binary() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let out = std::process::Command::new(cargo)
            .args([
                "build",
                "-q",
                "-p",
                "readyroom-cli",
                "--bin",
                "readyroom",
                "--message-format=json",
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stderr(Stdio::inherit())
            .output()
            .expect("cargo runs");
        assert!(out.status.success(), "building readyroom failed");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "readyroom")
            .find_map(|m| m["executable"].as_str().map(PathBuf::from))
            .expect("cargo reported the readyroom executable")
    })
}

/// A private home for one test: config dir, data dir, no inherited
/// Readyroom variables.
pub struct TestEnv {
    pub dir: tempfile::TempDir,
    extra_env: Vec<(String, String)>,
}

/// A string field of a JSON value (a check, a problem), or a test failure.
pub fn text<'a>(value: &'a serde_json::Value, key: &str) -> &'a str {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("no string {key:?} in {value}"))
}

/// What a finished run printed.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}): {}\nstderr: {}",
                self.stdout, self.stderr
            )
        })
    }

    /// The check with `id` in a scorecard JSON.
    pub fn check(&self, id: &str) -> serde_json::Value {
        let card = self.json();
        card["categories"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|c| c["checks"].as_array().cloned().unwrap_or_default())
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("no check {id} in {}", self.stdout))
    }

    pub fn all_output(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

impl Default for TestEnv {
    fn default() -> Self {
        Self::new()
    }
}

impl TestEnv {
    pub fn new() -> Self {
        TestEnv {
            dir: tempfile::tempdir().expect("tempdir"),
            extra_env: Vec::new(),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn data_dir(&self) -> PathBuf {
        self.path("data")
    }

    /// Writes `config.toml` and returns its path.
    pub fn config(&self, text: &str) -> PathBuf {
        let p = self.path("config.toml");
        std::fs::write(&p, text).expect("write config");
        p
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, text).expect("write file");
        p
    }

    /// Sets a variable for every later run (e.g. READYROOM_SECRET_*).
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.extra_env.push((key.to_string(), value.to_string()));
    }

    fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(binary());
        cmd.args(args);
        for (k, _) in std::env::vars() {
            if k.starts_with("READYROOM_") {
                cmd.env_remove(&k);
            }
        }
        cmd.env("READYROOM_DATA_DIR", self.data_dir())
            .env("XDG_CONFIG_HOME", self.path("xdg-config"))
            .env("XDG_DATA_HOME", self.path("xdg-data"))
            .env("NO_COLOR", "1")
            .env("COLUMNS", "400");
        for (k, v) in &self.extra_env {
            cmd.env(k, v);
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        cmd
    }

    /// Starts `readyroom ARGS` without waiting (for `serve`); stdout and
    /// stderr are piped, and the process is killed when the child drops.
    pub fn spawn(&self, args: &[&str]) -> tokio::process::Child {
        self.command(args).spawn().expect("spawn readyroom")
    }

    /// Runs `readyroom ARGS` to completion (bounded: a hung binary fails the test).
    pub async fn run(&self, args: &[&str]) -> Run {
        self.run_with_stdin(args, None).await
    }

    /// `readyroom --config CONFIG score --format json`.
    pub async fn score_json(&self, config: &str) -> Run {
        self.run(&["--config", config, "score", "--format", "json"])
            .await
    }

    /// Runs `readyroom ARGS` like [`Self::run`] and also measures the
    /// process's peak resident memory (VmHWM, in KiB) and wall time, by
    /// polling `/proc/PID/status` until it exits. VmHWM only grows, so the
    /// last reading before exit is the peak up to then.
    pub async fn run_measured(&self, args: &[&str]) -> (Run, u64, std::time::Duration) {
        let started = std::time::Instant::now();
        let child = self.command(args).spawn().expect("spawn readyroom");
        let pid = child.id().expect("child pid");
        let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let poller = {
            let peak = peak.clone();
            tokio::spawn(async move {
                let status = format!("/proc/{pid}/status");
                while let Ok(text) = tokio::fs::read_to_string(&status).await {
                    let hwm = text
                        .lines()
                        .find_map(|l| l.strip_prefix("VmHWM:"))
                        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok());
                    match hwm {
                        Some(kib) => peak.fetch_max(kib, std::sync::atomic::Ordering::Relaxed),
                        None => break, // a zombie has no memory lines: it has exited
                    };
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
            })
        };
        let run = finish(child, args).await;
        let elapsed = started.elapsed();
        let _ = poller.await;
        (
            run,
            peak.load(std::sync::atomic::Ordering::Relaxed),
            elapsed,
        )
    }

    pub async fn run_with_stdin(&self, args: &[&str], stdin: Option<&str>) -> Run {
        let mut cmd = self.command(args);
        if stdin.is_some() {
            cmd.stdin(Stdio::piped());
        }
        let mut child = cmd.spawn().expect("spawn readyroom");
        if let Some(input) = stdin {
            let mut pipe = child.stdin.take().expect("stdin piped");
            pipe.write_all(input.as_bytes()).await.expect("write stdin");
            drop(pipe);
        }
        finish(child, args).await
    }

    /// `readyroom secret set NAME` with `value` on stdin, into the real
    /// keychain. `None` (the caller skips) when this session has no
    /// Secret Service, except under the README's test command
    /// (`READYROOM_REQUIRE_ALL`), where that fails the test.
    pub async fn keychain_set(&self, name: &str, value: &str) -> Option<Run> {
        let set = self
            .run_with_stdin(&["secret", "set", name], Some(&format!("{value}\n")))
            .await;
        if set.code != 0 && set.stderr.contains("keychain is not available") {
            assert!(
                std::env::var_os("READYROOM_REQUIRE_ALL").is_none(),
                "no Secret Service: run the tests through the README's test command. {}",
                set.stderr
            );
            eprintln!("SKIPPED: no Secret Service in this session: {}", set.stderr);
            return None;
        }
        assert_eq!(set.code, 0, "{}", set.all_output());
        Some(set)
    }

    /// `readyroom audit --format json` with `config`: the chain verified,
    /// the entries oldest first.
    pub async fn audit_entries(&self, config: &str) -> Vec<serde_json::Value> {
        let run = self
            .run(&["--config", config, "audit", "--format", "json"])
            .await;
        assert_eq!(run.code, 0, "the chain verifies: {}", run.all_output());
        let mut entries = run.json()["entries"].as_array().expect("entries").clone();
        entries.reverse();
        entries
    }
}

/// Whether `needle` occurs in `haystack` (a file's bytes).
pub fn holds(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// Waits (bounded: a hung binary fails the test) and collects the output.
async fn finish(child: tokio::process::Child, args: &[&str]) -> Run {
    let out = tokio::time::timeout(
        std::time::Duration::from_secs(120),
        child.wait_with_output(),
    )
    .await
    .unwrap_or_else(|_| panic!("readyroom {args:?} did not finish within 120 s"))
    .expect("wait for readyroom");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
