//! The receiver as a service of `serve` (the desktop app starts the same
//! services): on the configured port, feeding the scorecard; and a port
//! already taken costs the receiver, never the rest of the app.

use std::time::{Duration, Instant};

use readyroom_tests::serving;
use readyroom_tests::targets::closed_port;
use readyroom_tests::TestEnv;

use super::receive::{export_with, export_with_the_rust_sdk, Transport};

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
        "[settings.otlp]\nhttp = \"127.0.0.1:{port}\"\ngrpc = \"127.0.0.1:{}\"\n[environments.prod]\n",
        closed_port()
    ));
    let config = config.to_str().expect("utf-8");
    let serve = serving::start(&env, &["--config", config, "serve"]).await;
    until_listening(port).await;
    let mut events = reqwest::Client::new()
        .get(format!(
            "http://127.0.0.1:{}/api/events?token={}",
            serve.port, serve.token
        ))
        .send()
        .await
        .expect("event stream");
    export_with_the_rust_sdk(format!("http://127.0.0.1:{port}"));
    // The UI hears of them, with their environment (the SDK sent the two
    // spans one export each: one event, or two if a tick fell between).
    let mut seen = String::new();
    let mut announced = 0;
    while announced < 2 {
        let chunk = tokio::time::timeout(Duration::from_secs(30), events.chunk())
            .await
            .expect("events within 30 s")
            .expect("stream readable")
            .expect("stream open");
        seen.push_str(&String::from_utf8_lossy(&chunk));
        announced = seen
            .lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .filter_map(|data| serde_json::from_str::<serde_json::Value>(data.trim()).ok())
            .filter(|e| e["type"] == "spansReceived")
            .map(|e| {
                assert_eq!(e["environment"], "prod", "{e}");
                e["spans"].as_u64().expect("a count")
            })
            .sum();
    }
    assert_eq!(announced, 2, "{seen}");
    serve.interrupt();
    assert_eq!(serve.exited(Instant::now()).await.code, 0);
    let run = env.score_json(config).await;
    assert_eq!(run.check("obs.traces_flowing")["outcome"], "pass");
}

/// The exported resource says `deployment.environment.name = prod`; the
/// config's match rule for `checkout-prod` comes first.
#[tokio::test(flavor = "multi_thread")]
async fn serve_receives_grpc_and_places_spans_by_the_configs_match_rules() {
    let env = TestEnv::new();
    let grpc = closed_port();
    let config = env.config(&format!(
        "[settings.otlp]\nhttp = \"127.0.0.1:{}\"\ngrpc = \"127.0.0.1:{grpc}\"\n\
         [environments.prod]\n\
         [environments.checkout-prod.traces.match]\n\"service.name\" = \"checkout\"\n",
        closed_port()
    ));
    let config = config.to_str().expect("utf-8");
    let serve = serving::start(&env, &["--config", config, "serve"]).await;
    until_listening(grpc).await;
    export_with(Transport::GrpcGzip, format!("http://127.0.0.1:{grpc}"));
    serve.interrupt();
    assert_eq!(serve.exited(Instant::now()).await.code, 0);
    let placed = env
        .run(&[
            "--config",
            config,
            "score",
            "--env",
            "checkout-prod",
            "--format",
            "json",
        ])
        .await;
    assert_eq!(placed.check("obs.traces_flowing")["outcome"], "pass");
    let by_resource = env
        .run(&[
            "--config", config, "score", "--env", "prod", "--format", "json",
        ])
        .await;
    assert_eq!(
        by_resource.check("obs.traces_flowing")["outcome"],
        "unknown",
        "the match rule took the spans"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_taken_receiver_port_is_named_and_the_app_keeps_working() {
    let env = TestEnv::new();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port();
    let config = env.config(&format!(
        "[settings.otlp]\nhttp = \"127.0.0.1:{port}\"\ngrpc = \"127.0.0.1:{}\"\n[environments.prod]\n",
        closed_port()
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
