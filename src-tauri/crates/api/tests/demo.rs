//! "Open the demo" through the command API: the demo production starts in
//! this process, the app reads its config while it runs (the operator's
//! file untouched), a second start leaves the running one alone, and
//! stopping it (or the services) closes its port and reads the operator's
//! config again.

use std::sync::Arc;
use std::time::Duration;

use readyroom_api::commands::{Empty, EnvironmentRequest};
use readyroom_api::{Api, NoEvents, Settings};

fn api(dir: &tempfile::TempDir) -> Api {
    Api::new(
        Settings {
            config_path: Some(dir.path().join("conf/config.toml")),
            store_path: dir.path().join("data/readyroom.db"),
            allow_actions: true,
        },
        Arc::new(NoEvents),
    )
}

async fn serves(port: u16) -> bool {
    tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_ok()
}

fn port_of(base_url: &str) -> u16 {
    base_url
        .rsplit(':')
        .next()
        .and_then(|p| p.trim_end_matches('/').parse().ok())
        .expect("a port in the base URL")
}

#[tokio::test]
async fn the_demo_runs_inside_the_app_on_its_own_config_until_stopped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let api = api(&dir);
    let own = dir.path().join("conf/config.toml");
    let before = api.get_app_info(Empty {}).await.expect("info");
    assert!(!before.config_exists && before.demo.is_none());

    let demo = api.start_demo(Empty {}).await.expect("the demo starts");
    let port = port_of(&demo.base_url);
    assert!(serves(port).await);
    assert_eq!(demo.environment, "demo");
    assert_eq!(demo.own_config_path.as_deref(), own.to_str());
    let demo_config = dir.path().join("data/demo/config.toml");
    assert_eq!(demo.config_path, demo_config.display().to_string());

    let info = api.get_app_info(Empty {}).await.expect("info");
    assert!(
        info.config_exists && info.config_valid,
        "{:?}",
        info.config_error
    );
    assert_eq!(info.config_path.as_deref(), demo_config.to_str());
    assert_eq!(info.environments[0].name, "demo");
    assert!(info.demo.is_some());
    assert!(!own.exists(), "the operator's config is not written");
    assert!(dir.path().join("data/demo/state.json").exists());

    // Its health answers through the app's own sources.
    let view = api
        .run_scorecard(EnvironmentRequest {
            environment: "demo".into(),
        })
        .await
        .expect("scored");
    let card = view.scorecard.expect("a scorecard");
    assert!(card.score > 0.0, "{}", card.score);

    let again = api.start_demo(Empty {}).await.expect("still running");
    assert_eq!(again.base_url, demo.base_url, "one demo, not two");

    // The services' stop takes the demo with them (the app closing).
    api.stop_services(Duration::from_secs(2)).await;
    for _ in 0..40 {
        if !serves(port).await {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(!serves(port).await, "the demo stopped with the app");
    let after = api.get_app_info(Empty {}).await.expect("info");
    assert!(after.demo.is_none() && !after.config_exists);
    assert_eq!(after.config_path.as_deref(), own.to_str());
    assert!(!dir.path().join("data/demo/state.json").exists());
    let stopped = api.stop_demo(Empty {}).await.expect("stop");
    assert!(!stopped.stopped, "nothing left to stop");
}

#[tokio::test]
async fn a_demo_another_process_runs_from_the_folder_is_not_started_over() {
    let dir = tempfile::tempdir().expect("tempdir");
    let api = api(&dir);
    let demo_dir = dir.path().join("data/demo");
    std::fs::create_dir_all(&demo_dir).expect("dir");
    // A live process that is not this one (this test's parent, say).
    let other = std::os::unix::process::parent_id();
    std::fs::write(
        demo_dir.join("state.json"),
        format!(r#"{{"baseUrl": "https://localhost:1234", "providerToken": "t", "pid": {other}}}"#),
    )
    .expect("state");
    let refused = api
        .start_demo(Empty {})
        .await
        .expect_err("refused while the other runs");
    assert!(
        refused.message.contains(&format!(
            "a demo is already running from {}",
            demo_dir.display()
        )) && refused.message.contains(&format!("process {other}"))
            && refused.message.contains("https://localhost:1234"),
        "{}",
        refused.message
    );
    assert!(!demo_dir.join("config.toml").exists(), "nothing written");
    assert!(api
        .get_app_info(Empty {})
        .await
        .expect("info")
        .demo
        .is_none());

    // A state left by a process that is gone does not stop a new demo.
    std::fs::write(
        demo_dir.join("state.json"),
        r#"{"baseUrl": "https://localhost:1234", "providerToken": "t", "pid": 4194999}"#,
    )
    .expect("state");
    let demo = api
        .start_demo(Empty {})
        .await
        .expect("started over a stale state");
    assert_ne!(demo.base_url, "https://localhost:1234");
    api.stop_services(Duration::from_secs(2)).await;
}
