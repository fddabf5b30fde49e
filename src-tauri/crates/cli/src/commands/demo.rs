//! `readyroom demo`: the demo production on loopback, scored; `readyroom
//! demo drill`: deploy its known-bad release.

use std::path::{Path, PathBuf};
use std::time::Duration;

use readyroom_api::commands::EnvironmentRequest;
use readyroom_api::demo::launch::{self, DemoState};
use readyroom_api::traces::receiver::{
    open_sink, start_receivers, stop_all, Endpoint, ReceiverLimits, RunningReceiver,
};
use readyroom_api::{context, paths};
use readyroom_core::traces::Attribution;
use readyroom_demo::pgbouncer::{self, DemoPooler};
use readyroom_demo::{DemoSecrets, Options};

use crate::args::{DemoAction, DemoArgs, Global};
use crate::exit::{self, Failure};
use crate::{app, interrupt, render};

fn demo_dir() -> Result<PathBuf, Failure> {
    Ok(launch::demo_dir(&paths::data_dir().ok_or_else(|| {
        Failure::error("no data directory: set READYROOM_DATA_DIR")
    })?))
}

pub async fn run(global: &Global, args: DemoArgs) -> Result<u8, Failure> {
    match args.action {
        Some(DemoAction::Drill) => drill().await,
        None => serve_demo(global, args).await,
    }
}

async fn serve_demo(_global: &Global, args: DemoArgs) -> Result<u8, Failure> {
    let dir = demo_dir()?;
    std::fs::create_dir_all(&dir)
        .map_err(|e| Failure::error(format!("cannot create {}: {e}", dir.display())))?;
    let mut options = Options::sqlite_in(&dir);
    // Stopped (and its folder removed) when the demo returns.
    let mut pooler = None;
    if let Some(url) = &args.postgres {
        options.database_url = url.clone();
        pooler = start_pooler(url);
        if let Some(p) = &pooler {
            options.database_url = p.app_url.clone();
        }
    }
    options.traffic = !args.no_traffic;
    // With a window or `--serve`, the app's own OTLP receiver runs on the
    // demo's config: give it ports of its own (never a collector's 4318,
    // which may be a real one) and export the demo's traces there, so the
    // trace checks have spans to score.
    // Alone (no window, no `serve`), the demo runs those receivers itself
    // while it serves, so `readyroom score` on its config sees its traces.
    let in_process = !(args.serve || args.desktop || args.once) && args.otlp.is_none();
    let receiver = (args.serve || args.desktop || in_process)
        .then(free_loopback_port)
        .flatten();
    options.otlp_endpoint = args
        .otlp
        .clone()
        .or_else(|| receiver.map(|port| format!("http://127.0.0.1:{port}")));
    let secrets = DemoSecrets {
        postgres: args.postgres.as_ref().map(|_| "demo/database-url"),
        pgbouncer: pooler.as_ref().map(|_| "demo/pgbouncer-url"),
        usage: Some("demo/usage-token"),
        deploy: Some("demo/provider-token"),
    };
    let mut extra_config = String::new();
    let mut receivers = Vec::new();
    if let Some(port) = receiver {
        // gRPC too gets a port of its own, away from a collector's 4317.
        let grpc = free_loopback_port().unwrap_or(0);
        if in_process {
            receivers = start_demo_receivers(port, grpc).await?;
        }
        extra_config = format!(
            "\n[settings.otlp]\nhttp = \"127.0.0.1:{port}\"\ngrpc = \"127.0.0.1:{grpc}\"\n"
        );
    }
    let launched = launch::launch(&dir, options, &secrets, &extra_config).await?;
    let demo = &launched.demo;
    let config_file = launched.config_file.clone();

    // Scored through the same application layer as `readyroom score`.
    let api = app::api(&Global {
        config: Some(config_file.clone()),
    })?;
    let mut credentials = Vec::new();
    if let (Some(name), Some(url)) = (secrets.postgres, &args.postgres) {
        credentials.push((name, url.clone()));
    }
    if let (Some(name), Some(p)) = (secrets.pgbouncer, &pooler) {
        credentials.push((name, p.console_url.clone()));
    }
    if let Some(name) = secrets.usage {
        credentials.push((name, demo.usage_token.clone()));
    }
    if let Some(name) = secrets.deploy {
        credentials.push((name, demo.provider_token.clone()));
    }
    let (stored, refused) = launch::store_credentials(&api, credentials).await;
    for warning in refused {
        eprintln!("warning: {warning}");
    }
    let environment = context::resolve_environment(&api, None)?;
    let view = api
        .run_scorecard(EnvironmentRequest { environment })
        .await?;
    api.close().await;
    if let Some(card) = &view.scorecard {
        print!("{}", render::scorecard(card, None, false, args.format));
    }
    if args.once {
        launched.stop().await;
        return Ok(exit::OK);
    }
    eprintln!(
        "\nThe demo production is serving at {} until Ctrl-C{}.\nIts config: {}\nScore it again:   readyroom --config {} score\nIncident drill:   readyroom demo drill",
        demo.base_url(),
        if args.no_traffic { "" } else { ", with generated traffic" },
        config_file.display(),
        config_file.display()
    );
    if !stored.is_empty() {
        eprintln!("Its credentials are in the keychain: {}", stored.join(", "));
    }
    let server = if args.serve {
        let running =
            super::serve::start(super::serve::Listen::loopback(), Some(config_file.clone()))
                .await?;
        eprintln!("Readyroom's UI for it: {}", running.url);
        Some(running)
    } else {
        None
    };
    if args.desktop {
        // The window, or Ctrl-C, ends the demo.
        let mut window = open_desktop(&config_file)?;
        tokio::select! {
            status = window.wait() => {
                if let Ok(status) = status {
                    if !status.success() {
                        eprintln!("the desktop app exited with {status}");
                    }
                }
            }
            _ = tokio::signal::ctrl_c() => {
                let _ = window.kill().await;
            }
        }
    } else {
        interrupt::first().await?;
    }
    interrupt::unless_second(async {
        // The demo's last spans go out while the receiver still runs.
        launched.stop().await;
        if let Some(running) = server {
            running.stop().await?;
        }
        stop_all(receivers).await.map_err(Failure::error)?;
        Ok::<(), Failure>(())
    })
    .await?;
    eprintln!("stopped");
    Ok(exit::OK)
}

/// A PgBouncer in front of the demo's database when one is installed, so
/// the Pools view has a real pooler to read; without one the app connects
/// directly, and says so.
fn start_pooler(upstream: &str) -> Option<DemoPooler> {
    if pgbouncer::binary().is_none() {
        eprintln!("PgBouncer is not installed, so the demo's app connects to PostgreSQL directly (install pgbouncer to see a pooler in the Pools view).");
        return None;
    }
    // Its folder goes in the temp dir, not the data dir: run as root,
    // PgBouncer runs as `postgres`, which cannot enter a private data dir.
    // The files holding passwords are the owner's only, and removed on stop.
    match pgbouncer::for_demo(upstream, &std::env::temp_dir()) {
        Ok(p) => Some(p),
        Err(e) => {
            eprintln!("warning: the demo's PgBouncer did not start ({e}); its app connects to PostgreSQL directly");
            None
        }
    }
}

/// The OTLP/HTTP and OTLP/gRPC receivers, in this process, into the span
/// store beside the run store.
async fn start_demo_receivers(http: u16, grpc: u16) -> Result<Vec<RunningReceiver>, Failure> {
    let spans = paths::spans_file().ok_or_else(|| {
        Failure::error("no data directory for the span store: set READYROOM_DATA_DIR")
    })?;
    let sink = open_sink(&spans, Attribution::default(), None)
        .await
        .map_err(Failure::error)?;
    let loopback = |port| Endpoint {
        addr: std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        what_to_change: "run the demo again: it picks free ports",
    };
    let (running, failed) = start_receivers(
        Some(loopback(http)),
        Some(loopback(grpc)),
        sink,
        ReceiverLimits::default(),
    )
    .await;
    if !failed.is_empty() {
        let _ = stop_all(running).await;
        return Err(Failure::error(failed.join("\n")));
    }
    Ok(running)
}

/// A loopback port free now (bound, then released for the receiver).
fn free_loopback_port() -> Option<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").ok()?;
    listener.local_addr().ok().map(|a| a.port())
}

/// Starts `readyroom-desktop` from this binary's folder on the demo's config.
fn open_desktop(config_file: &Path) -> Result<tokio::process::Child, Failure> {
    let here = std::env::current_exe()
        .map_err(|e| Failure::error(format!("cannot locate this binary: {e}")))?;
    let desktop = here.with_file_name(format!("readyroom-desktop{}", std::env::consts::EXE_SUFFIX));
    eprintln!("Opening the desktop app (close it to stop the demo).");
    tokio::process::Command::new(&desktop)
        .env("READYROOM_CONFIG", config_file)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| {
            Failure::error(format!(
                "cannot start the desktop app {}: {e}. Build it with `cargo build --release -p readyroom-desktop`, or use `readyroom demo --serve`",
                desktop.display()
            ))
        })
}

async fn drill() -> Result<u8, Failure> {
    let dir = demo_dir()?;
    let text = std::fs::read_to_string(dir.join("state.json"))
        .map_err(|_| Failure::error("no demo is running (no state.json in the demo's data directory); start one with `readyroom demo`"))?;
    let state: DemoState = serde_json::from_str(&text)
        .map_err(|e| Failure::error(format!("demo state unreadable: {e}")))?;
    let ca = std::fs::read(dir.join("demo-ca.pem"))
        .map_err(|e| Failure::error(format!("cannot read the demo's CA: {e}")))?;
    let client = reqwest::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(&ca).map_err(|e| Failure::error(e.to_string()))?,
        )
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| Failure::error(e.to_string()))?;
    let provider = format!("{}/provider/v1/deployments", state.base_url);
    let auth = format!("Bearer {}", state.provider_token);
    let list: serde_json::Value = client
        .get(&provider)
        .header("authorization", &auth)
        .send()
        .await
        .map_err(|e| {
            Failure::error(format!(
                "the demo at {} did not answer ({e}); is `readyroom demo` still running?",
                state.base_url
            ))
        })?
        .json()
        .await
        .map_err(|e| Failure::error(e.to_string()))?;
    // The bad release is the newest: never deployed yet, or deployed and
    // rolled back since (then "ready" but not current).
    let candidate = list["deployments"]
        .as_array()
        .and_then(|d| {
            d.iter()
                .max_by_key(|r| r["createdAt"].as_str().unwrap_or_default().to_string())
        })
        .and_then(|r| r["id"].as_str())
        .ok_or_else(|| Failure::error("the demo lists no releases"))?
        .to_string();
    if list["current"].as_str() == Some(candidate.as_str()) {
        return Err(Failure::error(
            "the bad release is already deployed; the incident is running",
        ));
    }
    let r = client
        .post(&provider)
        .header("authorization", &auth)
        .json(&serde_json::json!({ "release": candidate }))
        .send()
        .await
        .map_err(|e| Failure::error(e.to_string()))?;
    if !r.status().is_success() {
        return Err(Failure::error(format!(
            "the demo refused the drill: HTTP {}",
            r.status()
        )));
    }
    eprintln!("Deployed the known-bad release {candidate}: watch error rate, latency, the AI upstream and the pool climb.");
    Ok(exit::OK)
}
