//! The Readyroom desktop app: a thin Tauri 2 shell. One command, `rpc`,
//! forwards `{ cmd, payload }` to the command API; the API's events are
//! re-emitted as Tauri events named `readyroom`. Everything else lives in
//! the headless crates.

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use readyroom_api::services::app_services;
use readyroom_api::{paths, Api, ApiError, Event, EventSink, Settings};
use tauri::{Emitter, Manager, RunEvent};

/// Forwards the command API's events to the window.
struct TauriEvents(tauri::AppHandle);

impl EventSink for TauriEvents {
    fn emit(&self, event: Event) {
        if let Err(e) = self.0.emit("readyroom", event) {
            tracing::warn!(error = %e, "could not deliver an event to the window");
        }
    }
}

/// When the process started, for start-up timings in the debug log.
static STARTED: OnceLock<Instant> = OnceLock::new();

fn since_start_ms() -> u128 {
    STARTED.get().map_or(0, |t| t.elapsed().as_millis())
}

#[tauri::command]
async fn rpc(
    api: tauri::State<'_, Api>,
    request: serde_json::Value,
) -> Result<serde_json::Value, ApiError> {
    let cmd = request["cmd"].as_str().unwrap_or("?").to_string();
    tracing::debug!(cmd, at_ms = since_start_ms(), "rpc in");
    let result = api.dispatch_json(request).await;
    tracing::debug!(cmd, at_ms = since_start_ms(), "rpc out");
    result
}

/// WebKitGTK's accelerated compositing falls back to software GL without a
/// GPU (VMs, remote desktops, Xvfb) and then roughly doubles the web
/// process's memory (measured: 191 → 102 MiB PSS) for no visible gain in a
/// document-style UI. Off by default; `READYROOM_GPU_COMPOSITING=1`, or an
/// explicit `WEBKIT_DISABLE_COMPOSITING_MODE`, leaves WebKit's choice alone.
fn prefer_software_compositing() {
    let keep_gpu = std::env::var_os("READYROOM_GPU_COMPOSITING").is_some_and(|v| v == "1");
    if !keep_gpu && std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
        // Before any thread starts: the web process inherits it.
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
}

/// The longest the window stays hidden while its page loads.
const SHOW_ANYWAY_AFTER: Duration = Duration::from_secs(3);

/// The window starts hidden and is shown once its page has loaded.
/// WebKitGTK's first paint of a shown view waits (up to 500 ms) for the web
/// process's first frame, while the web process, loading the page, waits on
/// a synchronous reply from this (then blocked) UI process; roughly every
/// other start paid the full 500 ms. A hidden window is not painted, so the
/// two never wait on each other.
fn show(window: tauri::Window) {
    if !window.is_visible().unwrap_or(false) {
        tracing::debug!(at_ms = since_start_ms(), "show window");
        if let Err(e) = window.show() {
            tracing::warn!(error = %e, "could not show the window");
        }
    }
}

fn main() {
    STARTED.get_or_init(Instant::now);
    // Before any thread starts: secrets given in the environment leave it,
    // so WebKit's processes do not inherit them.
    readyroom_api::secrets::adopt_env_secrets();
    prefer_software_compositing();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("READYROOM_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let context = tauri::generate_context!("../tauri.conf.json");
    let app = tauri::Builder::default()
        .on_page_load(|webview, payload| {
            tracing::debug!(event = ?payload.event(), at_ms = since_start_ms(), "page load");
            if payload.event() == tauri::webview::PageLoadEvent::Finished {
                show(webview.window());
            }
        })
        .setup(|app| {
            tracing::debug!(at_ms = since_start_ms(), "setup");
            // Shown when the page has loaded (see `show`); should that never
            // happen, the window still appears.
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                tokio::time::sleep(SHOW_ANYWAY_AFTER).await;
                if let Some(window) = handle.get_webview_window("main") {
                    show(window.as_ref().window());
                }
            });
            // Never a shared folder like /tmp: the store is the operator's.
            let store_path = paths::store_file().ok_or(
                "no data directory for the local store (no home folder?); set READYROOM_DATA_DIR to a private folder",
            )?;
            let settings = Settings {
                config_path: paths::config_file(None),
                store_path,
                allow_actions: true,
            };
            let api = Api::new(settings, Arc::new(TauriEvents(app.handle().clone())));
            // Services run on Tauri's tokio runtime, as under `serve`.
            let services = api.clone();
            tauri::async_runtime::spawn(async move { services.start_services(app_services()) });
            app.manage(api);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![rpc])
        .build(context);
    let app = match app {
        Ok(app) => app,
        Err(e) => {
            eprintln!("error: the Readyroom window could not start: {e}");
            std::process::exit(1);
        }
    };
    app.run(|handle, event| {
        if let RunEvent::Exit = event {
            let api = handle.state::<Api>().inner().clone();
            tauri::async_runtime::block_on(api.stop_services(Duration::from_secs(2)));
        }
    });
}
