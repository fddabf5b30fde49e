//! The production password never crosses a connection Readyroom has not
//! verified. A hostile server on loopback is reached as `0.0.0.0`, an
//! address that is not loopback by name, so Readyroom treats it as the
//! remote host a machine in the middle would impersonate.

use readyroom_demo::tls::TestPki;
use readyroom_tests::fake_postgres::{self, TlsAnswer};
use readyroom_tests::{holds, text, Run, TestEnv};

const SECRET: &str = "prod/database-url";
const SECRET_VAR: &str = "READYROOM_SECRET_PROD_DATABASE_URL";
const PASSWORD: &str = "Hunter2-prod-pw";

async fn score(url: &str, ca_file: Option<&str>) -> (TestEnv, Run) {
    let mut env = TestEnv::new();
    env.set_env(SECRET_VAR, url);
    let ca = ca_file.map_or(String::new(), |p| format!("ca_file = \"{p}\"\n"));
    let config = env.config(&format!(
        "[environments.prod]\n{ca}[environments.prod.postgres]\nurl_secret = \"{SECRET}\"\n"
    ));
    let run = env.score_json(config.to_str().expect("utf8")).await;
    assert_eq!(run.code, 0, "{}", run.all_output());
    assert!(!run.all_output().contains(PASSWORD), "{}", run.all_output());
    (env, run)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_refuses_tls_never_gets_the_password() {
    let (addr, received) = fake_postgres::serve(TlsAnswer::Refuse);
    let url = format!("postgres://app:{PASSWORD}@0.0.0.0:{}/app", addr.port());
    let (_env, run) = score(&url, None).await;
    let headroom = run.check("infra.connection_headroom");
    assert_eq!(headroom["outcome"], "unknown", "{headroom}");
    let why = text(&headroom, "explanation");
    assert!(
        why.contains("refused TLS, so no password was sent") && why.contains("ssl = on"),
        "{why}"
    );
    assert_eq!(received.ssl_requests(), 1, "Readyroom asked for TLS");
    assert_eq!(received.password_messages(), 0);
    assert!(
        received.bytes().is_empty(),
        "nothing follows a refused TLS request: {:?}",
        String::from_utf8_lossy(&received.bytes())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_explicit_weaker_sslmode_is_the_operators_choice() {
    // The same hostile server does get the password when the stored URL
    // asks for no TLS: proof that the fake would have caught a leak above.
    let (addr, received) = fake_postgres::serve(TlsAnswer::Refuse);
    let url = format!(
        "postgres://app:{PASSWORD}@0.0.0.0:{}/app?sslmode=disable",
        addr.port()
    );
    let (_env, run) = score(&url, None).await;
    let headroom = run.check("infra.connection_headroom");
    assert!(
        text(&headroom, "explanation").contains("rejected the credentials"),
        "{headroom}"
    );
    assert_eq!(received.password_messages(), 1);
    assert!(holds(&received.bytes(), PASSWORD));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_certificate_that_does_not_verify_never_gets_the_password() {
    let pki = TestPki::generate(&["db.internal"]).expect("certificates");
    let (addr, received) = fake_postgres::serve(TlsAnswer::Offer(pki));
    let url = format!("postgres://app:{PASSWORD}@0.0.0.0:{}/app", addr.port());
    let (_env, run) = score(&url, None).await;
    let headroom = run.check("infra.connection_headroom");
    assert_eq!(headroom["outcome"], "unknown", "{headroom}");
    let why = text(&headroom, "explanation");
    assert!(
        why.contains("certificate did not verify") && why.contains("set ca_file"),
        "{why}"
    );
    assert_eq!(received.ssl_requests(), 1);
    assert_eq!(received.password_messages(), 0);
    assert!(received.bytes().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_environments_ca_file_verifies_the_server() {
    // A certificate for the address, signed by a CA given as ca_file: now
    // the server is verified, and the password goes over TLS.
    let pki = TestPki::generate(&["0.0.0.0"]).expect("certificates");
    let ca_pem = pki.ca_pem.clone();
    let (addr, received) = fake_postgres::serve(TlsAnswer::Offer(pki));
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, ca_pem).expect("write ca");
    let url = format!("postgres://app:{PASSWORD}@0.0.0.0:{}/app", addr.port());
    let (_env, run) = score(&url, Some(ca.to_str().expect("utf8"))).await;
    let headroom = run.check("infra.connection_headroom");
    assert!(
        text(&headroom, "explanation").contains("rejected the credentials"),
        "{headroom}"
    );
    assert_eq!(received.password_messages(), 1, "sent inside verified TLS");
}

#[tokio::test(flavor = "multi_thread")]
async fn config_check_warns_when_a_stored_url_weakens_tls_for_a_remote_host() {
    let mut env = TestEnv::new();
    env.set_env(
        SECRET_VAR,
        &format!("postgres://app:{PASSWORD}@db.example.com:5432/app?sslmode=require"),
    );
    let config = env.config(&format!(
        "[environments.prod]\n[environments.prod.postgres]\nurl_secret = \"{SECRET}\"\n"
    ));
    let config = config.to_str().expect("utf8");
    let run = env
        .run(&["--config", config, "config", "check", "--format", "json"])
        .await;
    assert_eq!(
        run.code,
        0,
        "a warning is not a failure: {}",
        run.all_output()
    );
    let report = run.json();
    let warnings = report["warnings"].as_array().expect("warnings");
    assert_eq!(warnings.len(), 1, "{report}");
    assert_eq!(warnings[0]["path"], "environments.prod.postgres.url_secret");
    assert_eq!(warnings[0]["line"], 3, "the url_secret line");
    let message = text(&warnings[0], "message");
    assert!(
        message.contains("sslmode=require") && message.contains("db.example.com"),
        "{message}"
    );
    assert!(!run.all_output().contains(PASSWORD), "{}", run.all_output());

    // The same URL without the weaker mode: verified, nothing to warn about.
    let mut env = TestEnv::new();
    env.set_env(
        SECRET_VAR,
        &format!("postgres://app:{PASSWORD}@db.example.com:5432/app"),
    );
    let config = env.config(&format!(
        "[environments.prod]\n[environments.prod.postgres]\nurl_secret = \"{SECRET}\"\n"
    ));
    let run = env
        .run(&[
            "--config",
            config.to_str().expect("utf8"),
            "config",
            "check",
            "--format",
            "json",
        ])
        .await;
    assert_eq!(run.json()["warnings"], serde_json::json!([]));
}
