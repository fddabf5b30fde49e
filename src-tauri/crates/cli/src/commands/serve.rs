//! `readyroom serve`: the UI and command API over HTTP on loopback, or
//! over HTTPS beyond it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use readyroom_api::services::app_services;
use readyroom_api::{paths, Api, Settings};
use readyroom_server::{new_token, BroadcastSink, Scheme, Served, ServerState};

use crate::args::{Format, Global, ServeArgs};
use crate::exit::{self, Failure};
use crate::interrupt;

/// Where and how to listen.
pub struct Listen {
    pub addr: SocketAddr,
    /// PEM certificate chain and key files, for HTTPS.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// The operator accepted plain HTTP beyond loopback.
    pub insecure: bool,
    /// The browser may take actions against production (`--allow-actions`).
    pub allow_actions: bool,
}

impl Listen {
    pub fn loopback() -> Listen {
        Listen {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            tls: None,
            insecure: false,
            allow_actions: false,
        }
    }
}

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
    /// Stops within about `SERVICES_GRACE`: event streams close, and
    /// requests in flight get `readyroom_server::SHUTDOWN_GRACE`.
    pub async fn stop(self) -> Result<(), Failure> {
        let _ = self.stop.send(());
        let (_aborted, served) = tokio::join!(self.api.stop_services(SERVICES_GRACE), self.task);
        match served {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(Failure::error(format!("the server stopped: {e}"))),
            Err(e) => Err(Failure::error(format!("the server task failed: {e}"))),
        }
    }
}

/// Binds `listen` and serves the UI and API for `config_path`.
pub async fn start(listen: Listen, config_path: Option<PathBuf>) -> Result<Running, Failure> {
    let addr = listen.addr;
    let tls = match &listen.tls {
        Some((cert, key)) => Some(readyroom_server::load_tls(cert, key).map_err(Failure::error)?),
        None => None,
    };
    if !addr.ip().is_loopback() {
        if tls.is_none() && !listen.insecure {
            return Err(Failure::usage(format!(
                "listening on {addr} would send this launch's token across the network in clear: give --tls-cert FILE and --tls-key FILE to serve HTTPS, or --insecure-listen to accept the risk"
            )));
        }
        if tls.is_none() {
            eprintln!(
                "warning: serving plain HTTP on {addr}: anyone who can watch the network sees the token, and with it can run probes and set secrets{}",
                if listen.allow_actions { ", and act on production (--allow-actions)" } else { "" }
            );
        }
    }
    let listener = std::net::TcpListener::bind(addr)
        .map_err(|e| Failure::error(format!("cannot listen on {addr}: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Failure::error(e.to_string()))?;
    let served = match &tls {
        Some(tls) => Served::new(addr, Scheme::Https, &tls.names),
        None => Served::new(addr, Scheme::Http, &[]),
    };
    let store_path = paths::store_file().ok_or_else(|| {
        Failure::error("no data directory for the local store: set READYROOM_DATA_DIR")
    })?;
    let events = BroadcastSink::default();
    let api = Api::new(
        Settings {
            config_path,
            store_path,
            allow_actions: listen.allow_actions,
        },
        Arc::new(events.clone()),
    );
    api.start_services(app_services());
    let token = new_token();
    let url = served.open_url(&token);
    let state = ServerState {
        api: api.clone(),
        token: token.into(),
        served: Arc::new(served),
        events,
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(readyroom_server::serve(
        listener,
        state,
        tls.map(|t| t.config),
        async {
            let _ = stopped.await;
        },
    ));
    Ok(Running {
        url,
        addr,
        api,
        stop,
        task,
    })
}

pub async fn run(global: &Global, args: ServeArgs) -> Result<u8, Failure> {
    let listen = Listen {
        addr: args.listen,
        tls: args.tls_cert.zip(args.tls_key),
        insecure: args.insecure_listen,
        allow_actions: args.allow_actions,
    };
    let running = start(listen, paths::config_file(global.config.as_deref())).await?;
    match args.format {
        Format::Json => println!("{}", serde_json::json!({ "url": running.url, "address": running.addr.to_string() })),
        _ => println!("Readyroom is serving at {}\nOpen that URL (it carries this launch's token). Ctrl-C stops.", running.url),
    }
    interrupt::first().await?;
    interrupt::unless_second(running.stop()).await?;
    eprintln!("stopped");
    Ok(exit::OK)
}
