//! Starting the demo production and writing what Readyroom needs to read
//! it: its CA, its config and the state `readyroom demo drill` reads. The
//! one way a demo starts, for `readyroom demo` and for "Open the demo" in
//! the app.

use std::path::{Path, PathBuf};

use readyroom_demo::{Demo, DemoSecrets, Options};
use serde::{Deserialize, Serialize};

use crate::secrets::SetSecretRequest;
use crate::{Api, ApiError, ErrorCode};

/// What `demo drill` needs to reach the running demo (`state.json`).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DemoState {
    pub base_url: String,
    pub provider_token: String,
    pub pid: u32,
}

/// The demo's folder under the data directory: its SQLite file, CA,
/// config and state.
pub fn demo_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("demo")
}

/// A demo serving, with the files written for it.
pub struct Launched {
    pub demo: Demo,
    pub dir: PathBuf,
    pub config_file: PathBuf,
}

impl Launched {
    /// Stops serving, sends its last spans, and removes the state file
    /// (`demo drill` then says no demo runs).
    pub async fn stop(&self) {
        self.demo.shutdown();
        self.demo.flush_traces().await;
        let _ = std::fs::remove_file(self.dir.join("state.json"));
    }
}

fn write(path: &Path, text: &str) -> Result<(), ApiError> {
    std::fs::write(path, text).map_err(|e| {
        ApiError::new(
            ErrorCode::SetupFailed,
            format!("cannot write {}: {e}", path.display()),
        )
    })
}

/// The demo another live process runs from `dir`, by its `state.json`:
/// its pid and URL. A state left by a process that is gone does not count.
fn running_elsewhere(dir: &Path) -> Option<DemoState> {
    let text = std::fs::read_to_string(dir.join("state.json")).ok()?;
    let state: DemoState = serde_json::from_str(&text).ok()?;
    let alive = state.pid != std::process::id() && process_alive(state.pid);
    alive.then_some(state)
}

#[cfg(target_os = "linux")]
fn process_alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Elsewhere the check is not made: a second demo then takes over the
/// folder, as before.
#[cfg(not(target_os = "linux"))]
fn process_alive(_pid: u32) -> bool {
    false
}

/// Starts the demo with `options` and writes, in `dir`, its CA
/// (`demo-ca.pem`), its config (`config.toml`: the demo's own, naming
/// `secrets`, then `extra_config`) and `state.json`.
pub async fn launch(
    dir: &Path,
    options: Options,
    secrets: &DemoSecrets<'_>,
    extra_config: &str,
) -> Result<Launched, ApiError> {
    // Two demos on one folder would overwrite each other's config and
    // state: the second one's URLs would replace the first one's under
    // whoever reads that config.
    if let Some(other) = running_elsewhere(dir) {
        return Err(ApiError::new(
            ErrorCode::SetupFailed,
            format!(
                "a demo is already running from {} (process {}, serving {}): stop it first (Ctrl-C where it runs, or close the app that opened it), or use it with readyroom --config {}",
                dir.display(),
                other.pid,
                other.base_url,
                dir.join("config.toml").display()
            ),
        ));
    }
    std::fs::create_dir_all(dir).map_err(|e| {
        ApiError::new(
            ErrorCode::SetupFailed,
            format!("cannot create {}: {e}", dir.display()),
        )
    })?;
    let demo = Demo::start(options)
        .await
        .map_err(|e| ApiError::new(ErrorCode::SetupFailed, e.to_string()))?;
    let ca_file = dir.join("demo-ca.pem");
    let config_file = dir.join("config.toml");
    let mut config = demo.config_toml(&ca_file.display().to_string(), secrets);
    config.push_str(extra_config);
    let state = DemoState {
        base_url: demo.base_url(),
        provider_token: demo.provider_token.clone(),
        pid: std::process::id(),
    };
    let written = write(&ca_file, &demo.ca_pem)
        .and_then(|()| write(&config_file, &config))
        .and_then(|()| {
            let json = serde_json::to_string_pretty(&state)
                .map_err(|e| ApiError::new(ErrorCode::SetupFailed, e.to_string()))?;
            write(&dir.join("state.json"), &json)
        });
    if let Err(e) = written {
        demo.shutdown();
        return Err(e);
    }
    Ok(Launched {
        demo,
        dir: dir.to_path_buf(),
        config_file,
    })
}

/// Puts the demo's credentials in the keychain under the names its config
/// uses, so its sources read without a step by hand. Returns the names
/// stored and, for each refused, what to do.
pub async fn store_credentials(
    api: &Api,
    credentials: Vec<(&str, String)>,
) -> (Vec<String>, Vec<String>) {
    let mut stored = Vec::new();
    let mut refused = Vec::new();
    for (name, value) in credentials {
        match api.set_secret(SetSecretRequest::new(name, value)).await {
            Ok(_) => stored.push(name.to_string()),
            Err(e) => refused.push(format!(
                "could not store the demo's secret '{name}' in the keychain ({}); the panels that need it will say it is missing. Store it with: readyroom secret set {name}",
                e.message
            )),
        }
    }
    (stored, refused)
}
