//! Production that answers with hostile content: terminal escapes in the
//! text shown to people, and values that would break a Markdown table.

use axum::routing::get;
use axum::Router;
use readyroom_tests::{targets, TestEnv};

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
