//! "Open the demo" (issue 14): the demo production started inside the app
//! (the same one `readyroom demo` runs), the app switched to its config
//! while it runs, and stopped with the app or by "Leave the demo". The
//! operator's own config file is not touched: leaving the demo, or the
//! next start, shows it again.

pub mod launch;

use std::path::PathBuf;
use std::sync::RwLock;

use readyroom_core::traces::Attribution;
use readyroom_demo::{DemoSecrets, Options};
use serde::Serialize;
use ts_rs::TS;

use crate::commands::Empty;
use crate::traces::receiver::{open_sink, start_receivers, stop_all, Endpoint, RunningReceiver};
use crate::traces::receiver_status::ReceiverState;
use crate::traces::TraceListRequest;
use crate::{Api, ApiError, ErrorCode};

/// The keychain entries the demo's config names (its own tokens).
const SECRETS: DemoSecrets<'static> = DemoSecrets {
    postgres: None,
    pgbouncer: None,
    usage: Some("demo/usage-token"),
    deploy: Some("demo/provider-token"),
};

/// The demo running inside the app, as the UI shows it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DemoInfo {
    /// Where the demo production serves (`https://localhost:PORT`).
    pub base_url: String,
    /// Its environment's name in its config.
    pub environment: String,
    /// The demo's config, which the app reads while the demo runs.
    pub config_path: String,
    /// The operator's own config, read again when the demo stops.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub own_config_path: Option<String>,
    /// Where its traces go: the app's OTLP receiver, or one of its own.
    pub traces_to: String,
    /// Secrets the keychain refused, with what to do.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DemoStopped {
    /// False when no demo was running.
    pub stopped: bool,
}

struct Running {
    launched: launch::Launched,
    /// Receivers started for it when the app's own was not listening.
    receivers: Vec<RunningReceiver>,
    info: DemoInfo,
}

/// The in-app demo and the config it puts in place of the operator's.
#[derive(Default)]
pub(crate) struct DemoSlot {
    running: tokio::sync::Mutex<Option<Running>>,
    config: RwLock<Option<PathBuf>>,
    info: RwLock<Option<DemoInfo>>,
}

impl DemoSlot {
    pub(crate) fn config_path(&self) -> Option<PathBuf> {
        self.config
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub(crate) fn info(&self) -> Option<DemoInfo> {
        self.info.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn switch(&self, config: Option<PathBuf>, info: Option<DemoInfo>) {
        *self.config.write().unwrap_or_else(|p| p.into_inner()) = config;
        *self.info.write().unwrap_or_else(|p| p.into_inner()) = info;
    }
}

fn failed(message: String) -> ApiError {
    ApiError::new(ErrorCode::SetupFailed, message)
}

/// A loopback port free now (bound, then released for a receiver).
fn free_loopback_port() -> Result<u16, ApiError> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| {
            failed(format!(
                "no free loopback port for the demo's receiver: {e}"
            ))
        })
}

/// Where the demo's spans go: the app's receiver when it listens for
/// OTLP/HTTP, else receivers of the demo's own on free ports into the same
/// span store (the app's may be off, or its port taken by a collector).
async fn traces_endpoint(api: &Api) -> Result<(String, Vec<RunningReceiver>), ApiError> {
    let status = api.receiver_status().get();
    if status.state == ReceiverState::Running {
        if let Some(http) = status.listening.iter().find(|l| l.protocol == "OTLP/HTTP") {
            return Ok((format!("http://{}", http.address), Vec::new()));
        }
    }
    let spans = crate::traces::spans_path(&api.settings().store_path);
    let sink = open_sink(&spans, Attribution::default(), None)
        .await
        .map_err(|e| failed(format!("the demo's traces cannot be stored: {e}")))?;
    let port = free_loopback_port()?;
    let endpoint = Endpoint {
        addr: std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        what_to_change: "open the demo again: it picks a free port",
    };
    let (running, problems) = start_receivers(Some(endpoint), None, sink, Default::default()).await;
    if !problems.is_empty() {
        let _ = stop_all(running).await;
        return Err(failed(problems.join("; ")));
    }
    Ok((format!("http://127.0.0.1:{port}"), running))
}

/// Starts the demo production in this process and switches the app to
/// its config; a demo already running is left as it is.
pub(crate) async fn start_demo(api: &Api, _: Empty) -> Result<DemoInfo, ApiError> {
    let mut running = api.inner.demo.running.lock().await;
    if let Some(r) = running.as_ref() {
        return Ok(r.info.clone());
    }
    let data_dir = api
        .settings()
        .store_path
        .parent()
        .map(PathBuf::from)
        .ok_or_else(|| failed("the local store has no folder to put the demo in".into()))?;
    let dir = launch::demo_dir(&data_dir);
    let (traces_to, receivers) = traces_endpoint(api).await?;
    let mut options = Options::sqlite_in(&dir);
    options.otlp_endpoint = Some(traces_to.clone());
    let launched = match launch::launch(&dir, options, &SECRETS, "").await {
        Ok(l) => l,
        Err(e) => {
            let _ = stop_all(receivers).await;
            return Err(e);
        }
    };
    let demo = &launched.demo;
    let credentials = vec![
        ("demo/usage-token", demo.usage_token.clone()),
        ("demo/provider-token", demo.provider_token.clone()),
    ];
    let (_, warnings) = launch::store_credentials(api, credentials).await;
    for w in &warnings {
        tracing::warn!("{w}");
    }
    let info = DemoInfo {
        base_url: demo.base_url(),
        environment: "demo".into(),
        config_path: launched.config_file.display().to_string(),
        own_config_path: api
            .settings()
            .config_path
            .as_ref()
            .map(|p| p.display().to_string()),
        traces_to,
        warnings,
    };
    api.inner
        .demo
        .switch(Some(launched.config_file.clone()), Some(info.clone()));
    tracing::info!(base_url = %info.base_url, "the demo production started in the app");
    first_spans(api).await;
    *running = Some(Running {
        launched,
        receivers,
        info: info.clone(),
    });
    Ok(info)
}

/// How long "Open the demo" waits for the demo's first spans.
const FIRST_SPANS_WITHIN: std::time::Duration = std::time::Duration::from_secs(5);

/// Waits (a few seconds at most) until the demo's first traces are stored,
/// so the scorecard the app runs next has spans to judge rather than
/// "not measured"; the demo exports every second.
async fn first_spans(api: &Api) {
    let deadline = tokio::time::Instant::now() + FIRST_SPANS_WITHIN;
    while tokio::time::Instant::now() < deadline {
        let request = TraceListRequest {
            environment: Some("demo".into()),
            since_minutes: Some(5),
            limit: Some(1),
            ..TraceListRequest::default()
        };
        if api
            .list_traces(request)
            .await
            .is_ok_and(|view| !view.traces.is_empty())
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    tracing::info!(
        "the demo's first spans did not arrive within {FIRST_SPANS_WITHIN:?}; scoring without them"
    );
}

/// Stops the in-app demo and switches back to the operator's config.
pub(crate) async fn stop_demo(api: &Api, _: Empty) -> Result<DemoStopped, ApiError> {
    Ok(DemoStopped {
        stopped: stop(api).await,
    })
}

/// Stops the in-app demo, if one runs (also when the app stops).
pub(crate) async fn stop(api: &Api) -> bool {
    let Some(r) = api.inner.demo.running.lock().await.take() else {
        return false;
    };
    api.inner.demo.switch(None, None);
    r.launched.stop().await;
    if let Err(e) = stop_all(r.receivers).await {
        tracing::warn!("the demo's receiver: {e}");
    }
    tracing::info!("the demo production stopped");
    true
}
