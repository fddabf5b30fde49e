//! The receiver as a service of `serve` (the desktop app starts the same
//! services): on the configured port, feeding the scorecard; and a port
//! already taken costs the receiver, never the rest of the app.

use std::time::{Duration, Instant};

use readyroom_tests::serving;
use readyroom_tests::targets::closed_port;
use readyroom_tests::TestEnv;

use super::receive::export_with_the_rust_sdk;

async fn until_listening(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            Instant::now() < deadline,
            "nothing listened on {port} within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_receives_spans_on_the_configured_port_for_the_scorecard() {
    let env = TestEnv::new();
    let port = closed_port();
    let config = env.config(&format!(
        "[settings.otlp]\nhttp = \"127.0.0.1:{port}\"\n[environments.prod]\n"
    ));
    let config = config.to_str().expect("utf-8");
    let serve = serving::start(&env, &["--config", config, "serve"]).await;
    until_listening(port).await;
    export_with_the_rust_sdk(format!("http://127.0.0.1:{port}"));
    serve.interrupt();
    assert_eq!(serve.exited(Instant::now()).await.code, 0);
    let run = env.score_json(config).await;
    assert_eq!(run.check("obs.traces_flowing")["outcome"], "pass");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_taken_receiver_port_is_named_and_the_app_keeps_working() {
    let env = TestEnv::new();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port();
    let config = env.config(&format!(
        "[settings.otlp]\nhttp = \"127.0.0.1:{port}\"\n[environments.prod]\n"
    ));
    let serve = serving::start(
        &env,
        &["--config", config.to_str().expect("utf-8"), "serve"],
    )
    .await;
    // The UI and API still answer.
    let page = reqwest::get(format!("http://127.0.0.1:{}/", serve.port))
        .await
        .expect("GET /");
    assert_eq!(page.status(), 200);
    // Give the receiver service time to try its port before stopping.
    tokio::time::sleep(Duration::from_millis(500)).await;
    serve.interrupt();
    let end = serve.exited(Instant::now()).await;
    assert_eq!(end.code, 0, "{}", end.stderr);
    assert!(
        end.stderr
            .contains(&format!("port {port} is already in use"))
            && end.stderr.contains("[settings.otlp] http"),
        "{}",
        end.stderr
    );
}
