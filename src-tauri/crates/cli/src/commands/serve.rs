//! `readyroom serve`: the UI and command API over HTTP on loopback.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use readyroom_api::services::app_services;
use readyroom_api::{paths, Api, Settings};
use readyroom_server::{new_token, open_url, BroadcastSink, ServerState};

use crate::args::{Format, Global, ServeArgs};
use crate::exit::{self, Failure};

/// How long services get to stop when the server does.
const SERVICES_GRACE: Duration = Duration::from_secs(2);

/// A server started in the background, with the application's services.
pub struct Running {
    pub url: String,
    pub addr: SocketAddr,
    api: Api,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    pub async fn stop(self) -> Result<(), Failure> {
        let _ = self.stop.send(());
        self.api.stop_services(SERVICES_GRACE).await;
        match self.task.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(Failure::error(format!("the server stopped: {e}"))),
            Err(e) => Err(Failure::error(format!("the server task failed: {e}"))),
        }
    }
}

/// Binds `listen` and serves the UI and API for `config_path`.
pub async fn start(listen: SocketAddr, config_path: Option<PathBuf>) -> Result<Running, Failure> {
    if !listen.ip().is_loopback() {
        eprintln!(
            "warning: listening on {listen} exposes Readyroom beyond this machine; anyone who can reach it and holds the token can run probes and set secrets"
        );
    }
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| Failure::error(format!("cannot listen on {listen}: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Failure::error(e.to_string()))?;
    let store_path = paths::store_file().ok_or_else(|| {
        Failure::error("no data directory for the local store: set READYROOM_DATA_DIR")
    })?;
    let events = BroadcastSink::default();
    let api = Api::new(
        Settings {
            config_path,
            store_path,
        },
        Arc::new(events.clone()),
    );
    api.start_services(app_services());
    let token = new_token();
    let url = open_url(addr, &token);
    let state = ServerState {
        api: api.clone(),
        token: token.into(),
        addr,
        events,
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(readyroom_server::serve(listener, state, async {
        let _ = stopped.await;
    }));
    Ok(Running {
        url,
        addr,
        api,
        stop,
        task,
    })
}

pub async fn run(global: &Global, args: ServeArgs) -> Result<u8, Failure> {
    let running = start(args.listen, paths::config_file(global.config.as_deref())).await?;
    match args.format {
        Format::Json => println!("{}", serde_json::json!({ "url": running.url, "address": running.addr.to_string() })),
        _ => println!("Readyroom is serving at {}\nOpen that URL (it carries this launch's token). Ctrl-C stops.", running.url),
    }
    let _ = tokio::signal::ctrl_c().await;
    running.stop().await?;
    eprintln!("stopped");
    Ok(exit::OK)
}
