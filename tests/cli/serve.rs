//! `readyroom serve` as a process: who may reach it, over what, and how it
//! stops when the operator presses Ctrl-C (once, or twice).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use readyroom_demo::tls::TestPki;
use readyroom_tests::bin::TestEnv;
use readyroom_tests::serving::{start, Serving};
use readyroom_tests::targets::serve_hanging;

fn rpc_body(cmd: &str, payload: serde_json::Value) -> String {
    serde_json::json!({ "cmd": cmd, "payload": payload }).to_string()
}

#[tokio::test]
async fn a_non_loopback_listen_without_tls_is_refused_unless_made_explicit() {
    let env = TestEnv::new();
    let config = env.config("[environments.prod]\n");
    let config = config.to_str().expect("utf-8");

    // (Without the refusal it would serve, and `run` would time out.)
    let refused = env
        .run(&["--config", config, "serve", "--listen", "0.0.0.0:0"])
        .await;
    assert_eq!(refused.code, 2, "a usage error: {}", refused.stderr);
    assert!(
        refused.stderr.contains("--tls-cert") && refused.stderr.contains("--insecure-listen"),
        "says what to give: {}",
        refused.stderr
    );

    // Made explicit, it serves, but only to the addresses it is reached at.
    let serving = start(
        &env,
        &[
            "--config",
            config,
            "serve",
            "--listen",
            "0.0.0.0:0",
            "--insecure-listen",
        ],
    )
    .await;
    let client = reqwest::Client::new();
    let call = |host: String| {
        client
            .post(format!("http://127.0.0.1:{}/api/rpc", serving.port))
            .header("host", host)
            .header("authorization", format!("Bearer {}", serving.token))
            .header("content-type", "application/json")
            .body(rpc_body("get_app_info", serde_json::json!({})))
            .send()
    };
    let own = call(format!("127.0.0.1:{}", serving.port))
        .await
        .expect("call");
    assert_eq!(own.status(), 200);
    let rebinding = call(format!("0.0.0.0:{}", serving.port))
        .await
        .expect("call");
    assert_eq!(
        rebinding.status(),
        403,
        "Host 0.0.0.0 is a rebinding page, not the operator"
    );
    let problem: serde_json::Value = rebinding.json().await.expect("problem JSON");
    assert_eq!(problem["code"], "foreignHost");
    serving.interrupt();
    assert_eq!(serving.exited(Instant::now()).await.code, 0);
}

#[tokio::test]
async fn beyond_loopback_it_serves_https_with_the_operators_certificate() {
    let env = TestEnv::new();
    let config = env.config("[environments.prod]\n");
    let pki = pki_for(&["readyroom.test"]);
    let cert = env.write("serve-cert.pem", &pki.cert_pem);
    let key = env.write("serve-key.pem", &pki.key_pem);
    let serving = start(
        &env,
        &[
            "--config",
            config.to_str().expect("utf-8"),
            "serve",
            "--listen",
            "0.0.0.0:0",
            "--tls-cert",
            cert.to_str().expect("utf-8"),
            "--tls-key",
            key.to_str().expect("utf-8"),
        ],
    )
    .await;
    assert!(
        serving
            .url
            .starts_with(&format!("https://readyroom.test:{}/#token=", serving.port)),
        "the URL names the certificate's host: {}",
        serving.url
    );
    let client = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(
            reqwest::Certificate::from_pem(pki.ca_pem.as_bytes()).expect("CA PEM"),
        )
        .resolve(
            "readyroom.test",
            SocketAddr::from(([127, 0, 0, 1], serving.port)),
        )
        .build()
        .expect("client");
    let base = format!("https://readyroom.test:{}", serving.port);
    let page = client
        .get(format!("{base}/"))
        .send()
        .await
        .expect("HTTPS GET /");
    assert_eq!(page.status(), 200);
    let info = client
        .post(format!("{base}/api/rpc"))
        .header("authorization", format!("Bearer {}", serving.token))
        .header("origin", &base)
        .header("content-type", "application/json")
        .body(rpc_body("get_app_info", serde_json::json!({})))
        .send()
        .await
        .expect("HTTPS rpc");
    assert_eq!(
        info.status(),
        200,
        "the certificate's name is an own host and origin"
    );
    // Plain HTTP is not answered on the same port.
    let plain = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{}/", serving.port))
        .timeout(Duration::from_secs(10))
        .send()
        .await;
    assert!(
        plain.map(|r| r.status() != 200).unwrap_or(true),
        "the token's page must not be served in clear"
    );
    serving.interrupt();
    assert_eq!(serving.exited(Instant::now()).await.code, 0);
}

fn pki_for(names: &[&str]) -> TestPki {
    TestPki::generate(names).expect("test PKI")
}

/// A server with an open event stream and a scorecard run in flight (its
/// health URL never answers), so stopping has something to wait for.
async fn busy_server(env: &TestEnv) -> (Serving, reqwest::Response) {
    let hanging = serve_hanging();
    let config = env.config(&format!(
        "[settings]\nprobe_timeout_ms = 60000\n[environments.prod]\nhealth_urls = [\"http://{hanging}/health\"]\n"
    ));
    let serving = start(env, &["--config", config.to_str().expect("utf-8"), "serve"]).await;
    let base = format!("http://127.0.0.1:{}", serving.port);
    let mut events = reqwest::Client::new()
        .get(format!("{base}/api/events?token={}", serving.token))
        .send()
        .await
        .expect("event stream");
    assert_eq!(events.status(), 200);
    let run = reqwest::Client::new()
        .post(format!("{base}/api/rpc"))
        .header("authorization", format!("Bearer {}", serving.token))
        .header("content-type", "application/json")
        .body(rpc_body(
            "run_scorecard",
            serde_json::json!({ "environment": "prod" }),
        ));
    tokio::spawn(async move {
        let _ = run.send().await;
    });
    // The run announces itself on the stream: then it is in flight.
    let mut seen = String::new();
    while !seen.contains("event: readyroom") {
        let chunk = tokio::time::timeout(Duration::from_secs(30), events.chunk())
            .await
            .expect("the run emitted an event within 30 s")
            .expect("stream readable")
            .expect("stream open");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    (serving, events)
}

#[tokio::test]
async fn ctrl_c_stops_the_server_while_a_browser_holds_the_event_stream() {
    let env = TestEnv::new();
    let (serving, mut events) = busy_server(&env).await;
    let since = Instant::now();
    serving.interrupt();
    let end = serving.exited(since).await;
    eprintln!("serve stopped {} ms after Ctrl-C", end.elapsed.as_millis());
    assert_eq!(end.code, 0, "a clean stop: {}", end.stderr);
    assert!(end.stderr.contains("stopped"), "{}", end.stderr);
    // The browser's stream was ended, not left hanging.
    let end = tokio::time::timeout(Duration::from_secs(5), async {
        while let Ok(Some(_)) = events.chunk().await {}
    })
    .await;
    assert!(end.is_ok(), "the event stream ended with the server");
}

#[tokio::test]
async fn a_second_ctrl_c_quits_at_once() {
    let env = TestEnv::new();
    let (serving, _events) = busy_server(&env).await;
    serving.interrupt();
    // The run in flight holds the graceful stop for its grace period; the
    // operator does not want to wait for it.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let since = Instant::now();
    serving.interrupt();
    let end = serving.exited(since).await;
    eprintln!(
        "serve quit {} ms after the second Ctrl-C",
        end.elapsed.as_millis()
    );
    assert_eq!(end.code, 130, "quit, not a clean stop: {}", end.stderr);
    assert!(
        end.stderr.contains("quit without waiting"),
        "{}",
        end.stderr
    );
}
