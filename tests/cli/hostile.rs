//! Production that answers with hostile content: terminal escapes in the
//! text shown to people, and values that would break a Markdown table.

use axum::routing::get;
use axum::Router;
use readyroom_tests::{targets, text, TestEnv};

/// A health endpoint whose dependency names carry a terminal escape (it
/// would retitle the operator's terminal) and a Markdown column break.
fn hostile_health() -> Router {
    Router::new().route(
        "/health",
        get(|| async {
            (
                [("content-type", "application/json")],
                "{\"status\":\"degraded\",\"checks\":{\"\\u001b]0;x\\u0007\":\"down\",\"cache|evil\":\"down\"}}",
            )
        }),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn text_from_production_is_printed_without_control_characters() {
    let addr = targets::serve_http(hostile_health());
    let env = TestEnv::new();
    let config = env.config(&format!(
        "[environments.prod]\nhealth_urls = [\"http://{addr}/health\"]\n"
    ));
    let config = config.to_str().expect("utf8");
    let json = env.score_json(config).await;
    let deps = json.check("infra.health_dependencies");
    assert!(
        deps.to_string().contains("\\u001b]0;x\\u0007"),
        "JSON keeps the exact text, escaped: {deps}"
    );
    for format in ["table", "markdown"] {
        let run = env
            .run(&["--config", config, "score", "--format", format])
            .await;
        assert!(
            !run.stdout.contains('\u{1b}') && !run.stdout.contains('\u{7}'),
            "{format}: {:?}",
            run.stdout
        );
        assert!(
            run.stdout.contains("\u{FFFD}]0;x\u{FFFD}"),
            "{format}: {}",
            run.stdout
        );
    }
    let md = env
        .run(&["--config", config, "score", "--format", "markdown"])
        .await
        .stdout;
    let row = md
        .lines()
        .find(|l| l.starts_with("| infra.health_dependencies"))
        .unwrap_or_else(|| panic!("no row: {md}"));
    assert!(row.contains("cache\\|evil"), "{row}");
    let header = md
        .lines()
        .find(|l| l.starts_with("| check"))
        .expect("header");
    let columns = |l: &str| l.replace("\\|", "").matches('|').count();
    assert_eq!(columns(row), columns(header), "no extra column: {row}");
}

/// Production that attacks the reader: an endless chunked exposition, a
/// 2 GiB health body with no length, a response trickled at one byte per
/// second, 10,000 headers. Each run must end within the probe timeout plus
/// a margin, read no more than its caps (peak memory within 64 MiB of an
/// ordinary run), say what happened, and keep the other sources' evidence.
#[tokio::test(flavor = "multi_thread")]
async fn hostile_servers_cost_a_probe_timeout_and_bounded_memory() {
    const TIMEOUT_MS: u64 = 3_000;
    // Generous: start-up, the store and a loaded machine; a run that reads
    // without bounds takes as long as the hostile server lasts instead.
    const MARGIN: std::time::Duration = std::time::Duration::from_secs(20);
    let good = targets::serve_http(targets::router(Default::default()));
    let hostile = targets::serve_hostile();
    let env = TestEnv::new();
    let score = |health: &str, metrics: &str| {
        let config = env.config(&format!(
            "[environments.prod]\nbase_url = \"http://{good}/\"\nhealth_urls = [\"{health}\"]\nmetrics_url = \"{metrics}\"\nprobe_timeout_ms = {TIMEOUT_MS}\n"
        ));
        let config = config.to_str().expect("utf8").to_string();
        let env = &env;
        async move {
            env.run_measured(&["--config", &config, "score", "--format", "json"])
                .await
        }
    };
    let (idle, idle_kib, _) = score(
        &format!("http://{good}/health"),
        &format!("http://{good}/metrics"),
    )
    .await;
    assert_eq!(
        idle.check("obs.metrics_endpoint")["outcome"],
        "pass",
        "{}",
        idle.stdout
    );
    assert!(idle_kib > 0, "VmHWM was read");

    let cases = [
        (
            "endless-metrics",
            "obs.metrics_endpoint",
            "longer than 16 MiB",
        ),
        ("huge-health", "obs.health_detail", "stopped reading"),
        (
            "trickle",
            "infra.health_endpoint",
            "timed out after 3000 ms",
        ),
        (
            "many-headers",
            "infra.health_endpoint",
            "response head is too large",
        ),
    ];
    for (path, check, says) in cases {
        let hostile_url = format!("http://{hostile}/{path}");
        let (health, metrics) = if path == "endless-metrics" {
            (format!("http://{good}/health"), hostile_url)
        } else {
            (hostile_url, format!("http://{good}/metrics"))
        };
        let (run, peak_kib, elapsed) = score(&health, &metrics).await;
        let judged = run.check(check);
        assert!(
            text(&judged, "explanation").contains(says),
            "{path}: {judged}"
        );
        assert!(
            elapsed < std::time::Duration::from_millis(TIMEOUT_MS) + MARGIN,
            "{path}: the run took {elapsed:?}"
        );
        let extra_mib = peak_kib.saturating_sub(idle_kib) / 1024;
        assert!(
            extra_mib < 64,
            "{path}: peak {peak_kib} KiB, {extra_mib} MiB above an ordinary run ({idle_kib} KiB)"
        );
        let headers = run.check("sec.headers");
        assert_eq!(
            headers["outcome"], "pass",
            "{path}: the base URL's evidence is kept: {headers}"
        );
        eprintln!("{path}: {elapsed:?}, peak {peak_kib} KiB (ordinary run {idle_kib} KiB)");
    }
}
