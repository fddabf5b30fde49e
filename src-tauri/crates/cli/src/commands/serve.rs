//! `readyroom serve`: the UI and command API over HTTP on loopback.

use std::sync::Arc;

use readyroom_api::{Api, Settings};
use readyroom_server::{new_token, open_url, BroadcastSink, ServerState};

use crate::args::{Format, Global, ServeArgs};
use crate::exit::{self, Failure};
use readyroom_api::paths;

pub async fn run(global: &Global, args: ServeArgs) -> Result<u8, Failure> {
    if !args.listen.ip().is_loopback() {
        eprintln!(
            "warning: listening on {} exposes Readyroom beyond this machine; anyone who can reach it and holds the token can run probes and set secrets",
            args.listen
        );
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| Failure::error(format!("cannot listen on {}: {e}", args.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Failure::error(e.to_string()))?;
    let store_path = paths::store_file().ok_or_else(|| {
        Failure::error("no data directory for the local store: set READYROOM_DATA_DIR")
    })?;
    let events = BroadcastSink::default();
    let api = Api::new(
        Settings {
            config_path: paths::config_file(global.config.as_deref()),
            store_path,
        },
        Arc::new(events.clone()),
    );
    let token = new_token();
    let url = open_url(addr, &token);
    match args.format {
        Format::Json => println!("{}", serde_json::json!({ "url": url, "address": addr.to_string() })),
        _ => println!("Readyroom is serving at {url}\nOpen that URL (it carries this launch's token). Ctrl-C stops."),
    }
    let state = ServerState {
        api,
        token: token.into(),
        addr,
        events,
    };
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    readyroom_server::serve(listener, state, shutdown)
        .await
        .map_err(|e| Failure::error(format!("the server stopped: {e}")))?;
    eprintln!("stopped");
    Ok(exit::OK)
}
