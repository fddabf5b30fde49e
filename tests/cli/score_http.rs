//! Scoring live HTTP/HTTPS targets.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use readyroom_tests::targets::{self, Knobs};
use readyroom_tests::text;
use readyroom_tests::TestEnv;

fn https_config(port: u16, ca: &str, extra: &str) -> String {
    format!(
        r#"[environments.prod]
base_url = "https://localhost:{port}/"
health_urls = ["https://localhost:{port}/health"]
protected_urls = ["https://localhost:{port}/protected"]
metrics_url = "https://localhost:{port}/metrics"
ca_file = "{ca}"
{extra}
"#
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn healthy_https_target_scores_every_http_check_with_evidence() {
    let env = TestEnv::new();
    let pki = targets::pki();
    let addr = targets::serve_https(targets::router(Arc::new(Knobs::default())), &pki, None);
    let ca = env.write("ca.pem", &pki.ca_pem);
    let config = env.config(&https_config(addr.port(), &ca.display().to_string(), ""));
    let run = env.score_json(config.to_str().expect("utf8")).await;
    assert_eq!(run.code, 0, "{}", run.all_output());
    let card = run.json();
    for key in [
        "environment",
        "score",
        "grade",
        "coverage",
        "measuredAt",
        "categories",
    ] {
        assert!(card.get(key).is_some(), "missing {key}: {card}");
    }
    assert_eq!(card["environment"], "prod");
    for id in [
        "infra.health_endpoint",
        "infra.health_dependencies",
        "obs.health_detail",
        "obs.metrics_endpoint",
        "sec.tls",
        "sec.rate_limit_headers",
        "sec.problem_json",
        "sec.auth_enforced",
        "perf.health_latency",
    ] {
        let check = run.check(id);
        assert_eq!(check["outcome"], "pass", "{id}: {check}");
        assert_eq!(check["earned"], check["points"], "{id}");
        for field in [
            "measured",
            "threshold",
            "source",
            "explanation",
            "measuredAt",
        ] {
            assert!(
                check[field].as_str().is_some_and(|s| !s.is_empty()),
                "{id} lacks {field}: {check}"
            );
        }
    }
    // HSTS, nosniff and X-Frame-Options (standing in for CSP): all three groups.
    assert_eq!(run.check("sec.headers")["outcome"], "pass");
    assert!(run.check("sec.tls")["measured"]
        .as_str()
        .expect("str")
        .starts_with("TLSv1.3"));
    // No database configured: unknown, never pass, and it says what to configure.
    let headroom = run.check("infra.connection_headroom");
    assert_eq!(headroom["outcome"], "unknown");
    assert!(
        text(&headroom, "explanation").contains("postgres"),
        "{headroom}"
    );
    let coverage = card["coverage"].as_f64().expect("coverage");
    assert!(coverage > 0.0 && coverage < 100.0, "{coverage}");
    assert!(card["score"].as_f64().expect("score") <= coverage);
}

#[tokio::test(flavor = "multi_thread")]
async fn tls_1_2_only_target_is_partial() {
    let env = TestEnv::new();
    let pki = targets::pki();
    let addr = targets::serve_https(
        targets::router(Arc::new(Knobs::default())),
        &pki,
        Some(&rustls::version::TLS12),
    );
    let ca = env.write("ca.pem", &pki.ca_pem);
    let config = env.config(&https_config(addr.port(), &ca.display().to_string(), ""));
    let run = env.score_json(config.to_str().expect("utf8")).await;
    let tls = run.check("sec.tls");
    assert_eq!(tls["outcome"], "partial", "{tls}");
    assert!(text(&tls, "measured").starts_with("TLSv1.2"));
}

#[tokio::test(flavor = "multi_thread")]
async fn untrusted_certificate_without_ca_file_fails_tls_and_health() {
    let env = TestEnv::new();
    let pki = targets::pki();
    let addr = targets::serve_https(targets::router(Arc::new(Knobs::default())), &pki, None);
    let config = env.config(&format!(
        "[environments.prod]\nbase_url = \"https://localhost:{p}/\"\nhealth_urls = [\"https://localhost:{p}/health\"]\n",
        p = addr.port()
    ));
    let run = env.score_json(config.to_str().expect("utf8")).await;
    assert_eq!(run.code, 0, "{}", run.all_output());
    let tls = run.check("sec.tls");
    assert_eq!(tls["outcome"], "fail");
    assert!(
        text(&tls, "explanation")
            .to_lowercase()
            .contains("certificate"),
        "{tls}"
    );
    let health = run.check("infra.health_endpoint");
    assert_eq!(health["outcome"], "fail");
    assert!(text(&health, "explanation").contains("TLS"), "{health}");
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_failing_malformed_and_bare_targets_are_judged_as_evidence() {
    let env = TestEnv::new();
    let addr = targets::serve_http(targets::router(Arc::new(Knobs::default())));
    let base = format!("http://127.0.0.1:{}", addr.port());
    let config = |health: &str, base_path: &str| {
        env.config(&format!(
            "[environments.prod]\nbase_url = \"{base}{base_path}\"\nhealth_urls = [\"{base}{health}\"]\nprotected_urls = [\"{base}/open\"]\nmetrics_url = \"{base}/html-metrics\"\nerror_url = \"{base}/fail\"\n"
        ))
    };
    let score = |path: std::path::PathBuf| {
        let env = &env;
        async move { env.score_json(path.to_str().expect("utf8")).await }
    };

    let run = score(config("/slow?ms=1200", "/")).await;
    assert_eq!(
        run.check("infra.health_endpoint")["outcome"],
        "partial",
        "{}",
        run.stdout
    );
    assert_eq!(run.check("perf.health_latency")["outcome"], "fail");

    let run = score(config("/fail", "/")).await;
    let health = run.check("infra.health_endpoint");
    assert_eq!(health["outcome"], "fail");
    assert!(
        text(&health, "explanation").contains("HTTP 500"),
        "{health}"
    );

    let run = score(config("/not-json", "/bare/")).await;
    let deps = run.check("infra.health_dependencies");
    assert_eq!(deps["outcome"], "partial", "{deps}");
    assert_eq!(run.check("obs.health_detail")["outcome"], "fail");
    assert_eq!(run.check("sec.headers")["outcome"], "fail");
    assert_eq!(
        run.check("sec.tls")["outcome"],
        "fail",
        "plain http is fail, not unknown"
    );
    assert_eq!(run.check("sec.rate_limit_headers")["outcome"], "fail");
    let auth = run.check("sec.auth_enforced");
    assert_eq!(auth["outcome"], "fail");
    assert!(
        text(&auth, "explanation").contains("answered HTTP 200"),
        "{auth}"
    );
    assert_eq!(run.check("obs.metrics_endpoint")["outcome"], "partial");
    let problem = run.check("sec.problem_json");
    assert_eq!(
        problem["outcome"], "fail",
        "a 500 with a text body is not an error shape: {problem}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hanging_target_costs_its_timeout_and_is_a_failure() {
    let env = TestEnv::new();
    let hang = targets::serve_hanging();
    let ok = targets::serve_http(targets::router(Arc::new(Knobs::default())));
    let config = env.config(&format!(
        "[settings]\nprobe_timeout_ms = 700\n[environments.prod]\nhealth_urls = [\"http://127.0.0.1:{}/health\", \"http://127.0.0.1:{}/health\"]\nmetrics_url = \"http://127.0.0.1:{}/metrics\"\n",
        ok.port(),
        hang.port(),
        hang.port()
    ));
    let run = env.score_json(config.to_str().expect("utf8")).await;
    assert_eq!(run.code, 0, "{}", run.all_output());
    let health = run.check("infra.health_endpoint");
    assert_eq!(health["outcome"], "fail");
    assert!(
        text(&health, "explanation").contains("timed out after 700 ms"),
        "{health}"
    );
    assert!(
        text(&health, "measured").starts_with("1/2 URLs 2xx"),
        "{health}"
    );
    let metrics = run.check("obs.metrics_endpoint");
    assert_eq!(metrics["outcome"], "fail");
    assert!(
        text(&metrics, "explanation").contains("timed out"),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn fail_under_gates_with_exit_code_3() {
    let env = TestEnv::new();
    let knobs = Arc::new(Knobs::default());
    let addr = targets::serve_http(targets::router(knobs.clone()));
    let config = env.config(&format!(
        "[environments.prod]\nhealth_urls = [\"http://127.0.0.1:{}/health\"]\n",
        addr.port()
    ));
    let path = config.to_str().expect("utf8");
    let run = env
        .run(&["--config", path, "score", "--fail-under", "5"])
        .await;
    assert_eq!(run.code, 0, "{}", run.all_output());
    assert!(
        run.stdout.contains("infra.health_endpoint"),
        "table output lists checks: {}",
        run.stdout
    );
    let run = env
        .run(&["--config", path, "score", "--fail-under", "90"])
        .await;
    assert_eq!(run.code, 3, "{}", run.all_output());
    assert!(
        run.stderr.contains("below --fail-under 90"),
        "{}",
        run.stderr
    );
    let run = env
        .run(&["--config", path, "score", "--fail-under", "101"])
        .await;
    assert_eq!(
        run.code,
        2,
        "out-of-range gate is a usage error: {}",
        run.all_output()
    );
    knobs.unhealthy.store(true, Ordering::SeqCst);
    let run = env
        .run(&["--config", path, "score", "--format", "markdown"])
        .await;
    assert!(
        run.stdout.starts_with("# Readiness of prod"),
        "{}",
        run.stdout
    );
    let row = run
        .stdout
        .lines()
        .find(|l| l.starts_with("| infra.health_endpoint"))
        .expect("markdown row");
    assert_eq!(row.split('|').nth(2).map(str::trim), Some("fail"), "{row}");
}

#[tokio::test(flavor = "multi_thread")]
async fn tls_of_an_ipv6_literal_base_url_is_probed() {
    let env = TestEnv::new();
    let pki = readyroom_demo::tls::TestPki::generate(&["::1"]).expect("certificates");
    let addr = targets::serve_https_v6(targets::router(Arc::new(Knobs::default())), &pki);
    let ca = env.write("ca.pem", &pki.ca_pem);
    let config = env.config(&format!(
        "[environments.prod]\nbase_url = \"https://[::1]:{}/\"\nca_file = \"{}\"\n",
        addr.port(),
        ca.display()
    ));
    let run = env.score_json(config.to_str().expect("utf8")).await;
    let tls = run.check("sec.tls");
    assert_eq!(tls["outcome"], "pass", "{tls}");
    assert!(
        text(&tls, "source").contains(&format!("[::1]:{}", addr.port())),
        "{tls}"
    );
    assert_eq!(
        run.check("sec.headers")["outcome"],
        "pass",
        "{}",
        run.stdout
    );
}
