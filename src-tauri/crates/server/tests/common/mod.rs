//! What the server's test files share: a server state on a temp config
//! and store, with a known token.

use std::net::SocketAddr;
use std::sync::Arc;

use readyroom_api::{Api, Settings};
use readyroom_server::{BroadcastSink, Scheme, Served, ServerState};

pub const TOKEN: &str = "test-token-0123456789";

/// A state for a server listening on `listen` (plain HTTP), with one
/// environment, `prod`, configured in `dir`.
pub fn state_at(dir: &tempfile::TempDir, listen: SocketAddr) -> ServerState {
    std::fs::write(dir.path().join("config.toml"), "[environments.prod]\n").expect("config");
    let events = BroadcastSink::default();
    ServerState {
        api: Api::new(
            Settings {
                config_path: Some(dir.path().join("config.toml")),
                store_path: dir.path().join("readyroom.db"),
                allow_actions: false,
            },
            Arc::new(events.clone()),
        ),
        token: TOKEN.into(),
        served: Arc::new(Served::new(listen, Scheme::Http, &[])),
        events,
    }
}
