//! A command provider: run a configured program with its arguments (no
//! shell: the list is the argv), for example `kubectl rollout undo` or a
//! provider's CLI. Secrets reach it only as environment variables the
//! config names; what it prints is captured, with any secret value in it
//! blanked, and its exit code is the provider's answer. The caller's
//! timeout bounds it: dropped, the child is killed.

use std::process::Stdio;
use std::time::Instant;

use readyroom_core::deploys::{Listing, ProviderTraits};
use readyroom_core::Sensitive;
use tokio::io::{AsyncRead, AsyncReadExt};

use super::template::{fill, mentions};
use super::{Action, DeployError, Deployer, Sent};
use crate::source::BoxFuture;

/// What is kept of each stream: its end, where the error usually is.
const KEPT_BYTES: usize = 64 * 1024;
/// What the audit entry and the answer carry of it.
const SHOWN_CHARS: usize = 1_500;

pub struct CommandDeployer {
    /// The program, then its arguments (templates).
    pub argv: Vec<String>,
    /// Environment variables set from keychain entries.
    pub env: Vec<(String, Sensitive<String>)>,
}

impl CommandDeployer {
    fn program(&self) -> &str {
        self.argv.first().map(String::as_str).unwrap_or_default()
    }

    /// `text` with every secret value this command was given blanked.
    fn blanked(&self, text: &str) -> String {
        self.env
            .iter()
            .map(|(_, v)| v.expose())
            .filter(|v| !v.is_empty())
            .fold(text.to_string(), |t, v| t.replace(v.as_str(), "[secret]"))
    }
}

/// Reads `stream` to its end, keeping the last [`KEPT_BYTES`].
async fn tail(stream: Option<impl AsyncRead + Unpin>) -> Vec<u8> {
    let Some(mut stream) = stream else {
        return Vec::new();
    };
    let mut kept = Vec::new();
    let mut chunk = [0u8; 8192];
    while let Ok(n) = stream.read(&mut chunk).await {
        if n == 0 {
            break;
        }
        kept.extend_from_slice(&chunk[..n]);
        if kept.len() > KEPT_BYTES {
            kept.drain(..kept.len() - KEPT_BYTES);
        }
    }
    kept
}

/// The end of what it printed, in one line's worth of words.
fn shown(stdout: &[u8], stderr: &[u8]) -> String {
    let text = [stdout, stderr]
        .iter()
        .map(|b| String::from_utf8_lossy(b).trim().to_string())
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    let count = text.chars().count();
    if count <= SHOWN_CHARS {
        return text;
    }
    let end: String = text.chars().skip(count - SHOWN_CHARS).collect();
    format!("…{end}")
}

impl Deployer for CommandDeployer {
    fn traits(&self) -> ProviderTraits {
        ProviderTraits {
            name: "command".into(),
            lists: false,
            targets: self.argv.iter().any(|a| mentions(a, "target")),
            after_rollback: None,
        }
    }

    fn list(&self) -> BoxFuture<'_, Result<Listing, DeployError>> {
        Box::pin(async {
            Err(DeployError::Unsupported {
                what: "a command provider (it acts, it does not list)".into(),
            })
        })
    }

    fn send<'a>(&'a self, action: Action<'a>) -> BoxFuture<'a, Result<Sent, DeployError>> {
        Box::pin(async move {
            let program = self.program();
            let mut command = tokio::process::Command::new(program);
            command
                .args(self.argv.iter().skip(1).map(|a| fill(a, &action)))
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .kill_on_drop(true);
            // Secrets a test (or a script) gave this process stay here.
            for (var, _) in std::env::vars_os() {
                if var.to_string_lossy().starts_with("READYROOM_SECRET_") {
                    command.env_remove(var);
                }
            }
            command
                .env("READYROOM_ACTION", action.kind.action())
                .env("READYROOM_ENVIRONMENT", action.environment)
                .env("READYROOM_TARGET", action.target_id())
                .env("READYROOM_FROM", action.from_id())
                .env("READYROOM_REASON", action.reason)
                .env("READYROOM_OPERATOR", action.operator);
            for (var, secret) in &self.env {
                command.env(var, secret.expose());
            }
            let started = Instant::now();
            let mut child = command.spawn().map_err(|e| DeployError::Setup {
                detail: format!(
                    "`{program}` could not be started ({e}); command in [environments.NAME.deploy] is run without a shell: the program (on PATH or a full path), then each argument"
                ),
            })?;
            let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
            let (out, err, status) = tokio::join!(tail(stdout), tail(stderr), child.wait());
            let status = status.map_err(|e| DeployError::Uncertain {
                detail: format!("`{program}` was started and then lost ({e})"),
            })?;
            let output = self.blanked(&shown(&out, &err));
            let took = started.elapsed().as_secs_f64();
            let said = if output.is_empty() {
                "it printed nothing".to_string()
            } else {
                format!("it printed: {output}")
            };
            match status.code() {
                Some(0) => Ok(Sent {
                    status: 0,
                    detail: format!("`{program}` exited 0 after {took:.1} s; {said}"),
                }),
                Some(code) => Err(DeployError::Failed {
                    what: format!("`{program}`"),
                    detail: format!("exit code {code} after {took:.1} s; {said}"),
                    code: Some(code),
                }),
                None => Err(DeployError::Failed {
                    what: format!("`{program}`"),
                    detail: format!("it was killed by a signal after {took:.1} s; {said}"),
                    code: None,
                }),
            }
        })
    }
}
