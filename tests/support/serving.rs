//! Long-running `readyroom` commands (`serve`, `otlp`) as processes: start
//! one, read the address it prints, interrupt it as Ctrl-C would, and
//! collect how it ended.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout};

use crate::bin::TestEnv;

/// Long enough for any stop a test expects; a server that does not stop
/// fails the test instead of hanging it.
pub const STOP_GUARD: Duration = Duration::from_secs(20);

pub struct Serving {
    pub child: Child,
    pub url: String,
    pub port: u16,
    pub token: String,
    /// The rest of stdout, after the URL line.
    stdout: Lines<BufReader<ChildStdout>>,
    /// stderr, read as it comes: a process logging verbosely would
    /// otherwise fill the pipe and block on its next log line.
    stderr: tokio::task::JoinHandle<String>,
}

/// How the process ended.
pub struct Exited {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    /// From the `since` given to [`Serving::exited`].
    pub elapsed: Duration,
}

/// Starts `readyroom ARGS --format json` (ARGS ending in `serve ...`) and
/// reads its URL line.
pub async fn start(env: &TestEnv, args: &[&str]) -> Serving {
    start_printing(env, args, "address").await
}

/// Starts a long-running `readyroom ARGS --format json` and reads the JSON
/// line it prints first; `address_key` names its listening address. `url`
/// and `token` are empty when it prints no URL.
pub async fn start_printing(env: &TestEnv, args: &[&str], address_key: &str) -> Serving {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let mut child = env.spawn(&all);
    let stdout = child.stdout.take().expect("stdout piped");
    let mut stderr_pipe = child.stderr.take().expect("stderr piped");
    let stderr = tokio::spawn(async move {
        let mut all = Vec::new();
        let _ = stderr_pipe.read_to_end(&mut all).await;
        String::from_utf8_lossy(&all).into_owned()
    });
    let mut stdout = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(Duration::from_secs(60), stdout.next_line())
        .await
        .expect("it printed its address within 60 s")
        .expect("read stdout")
        .unwrap_or_else(|| panic!("readyroom {args:?} printed nothing (it exited?)"));
    let printed: serde_json::Value = serde_json::from_str(&line).expect("JSON line");
    let url = printed["url"].as_str().unwrap_or_default().to_string();
    let address: SocketAddr = printed[address_key]
        .as_str()
        .unwrap_or_else(|| panic!("no {address_key:?} in {printed}"))
        .parse()
        .expect("socket address");
    let token = url.split("#token=").nth(1).unwrap_or_default().to_string();
    Serving {
        child,
        url,
        port: address.port(),
        token,
        stdout,
        stderr,
    }
}

impl Serving {
    /// Calls `cmd` with `payload` until its answer satisfies `ok`, for at
    /// most 30 s (then fails naming `what` and the last answer).
    pub async fn rpc_until(
        &self,
        cmd: &str,
        payload: serde_json::Value,
        what: &str,
        ok: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let answer = self.rpc(cmd, payload.clone()).await;
            if ok(&answer) {
                return answer;
            }
            assert!(
                Instant::now() < deadline,
                "{what} within 30 s; last answer: {answer}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Sends SIGINT, as Ctrl-C in its terminal would.
    /// One command over the HTTP API, which must answer 200; its JSON.
    pub async fn rpc(&self, cmd: &str, payload: serde_json::Value) -> serde_json::Value {
        let resp = reqwest::Client::new()
            .post(format!("http://127.0.0.1:{}/api/rpc", self.port))
            .header("authorization", format!("Bearer {}", self.token))
            .json(&serde_json::json!({ "cmd": cmd, "payload": payload }))
            .send()
            .await
            .expect("rpc");
        assert_eq!(resp.status(), 200, "{cmd}");
        resp.json().await.expect("json")
    }

    pub fn interrupt(&self) {
        let pid = self.child.id().expect("running").to_string();
        let status = std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -INT {pid}");
    }

    /// Waits (at most `STOP_GUARD`) for the process to exit.
    pub async fn exited(mut self, since: Instant) -> Exited {
        let status = tokio::time::timeout(STOP_GUARD, self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("serve had not exited within {} s", STOP_GUARD.as_secs()))
            .expect("wait");
        let elapsed = since.elapsed();
        let mut stdout = String::new();
        while let Ok(Some(line)) = self.stdout.next_line().await {
            stdout.push_str(&line);
            stdout.push('\n');
        }
        let stderr = self.stderr.await.unwrap_or_default();
        Exited {
            code: status.code().unwrap_or(-1),
            stdout,
            stderr,
            elapsed,
        }
    }
}
