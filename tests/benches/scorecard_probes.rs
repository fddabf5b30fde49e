//! Benchmark: a scorecard's probes run concurrently.
//!
//! Claims measured (issue #2): 25 HTTP probes against a local server that
//! answers in 200 ms finish in under 1.5x the slowest single probe; one
//! hanging target adds no more than its timeout.
//!
//! Run: `cargo bench -p readyroom-tests --bench scorecard_probes`
//! (optionally `-- --iterations N`). Prints medians and the ratios.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use readyroom_core::config::Config;
use readyroom_core::rubric::Rubric;
use readyroom_core::scorecard::Scorecard;
use readyroom_sources::{production_sources, Registry, ResolvedSecrets};
use readyroom_tests::targets;

const DELAY_MS: u64 = 200;
const HANG_TIMEOUT_MS: u64 = 1_000;

async fn time_scorecard(config_text: &str, timeout: Duration) -> Duration {
    let parsed = Config::parse(config_text, Path::new(".")).expect("bench config is valid");
    let (name, env) = parsed.config.environment(None).expect("one environment");
    let rubric = Rubric::default_rubric();
    let started = Instant::now();
    let gathering = Registry::new(production_sources())
        .gather(
            name,
            env,
            &ResolvedSecrets::new(),
            timeout,
            time::OffsetDateTime::now_utc(),
            &|_| {},
        )
        .await
        .expect("gather");
    let card = Scorecard::compute(&rubric, &gathering.evidence);
    let elapsed = started.elapsed();
    std::hint::black_box(card);
    elapsed
}

fn config(urls: &[String]) -> String {
    let list: Vec<String> = urls.iter().map(|u| format!("{u:?}")).collect();
    format!(
        "[environments.bench]\nhealth_urls = [{}]\n",
        list.join(", ")
    )
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let iterations: usize = std::env::args()
        .skip_while(|a| a != "--iterations")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(15);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let addr = targets::serve_http(targets::router(Arc::new(targets::Knobs::default())));
        let hang = targets::serve_hanging();
        let slow = format!("http://127.0.0.1:{}/slow?ms={DELAY_MS}", addr.port());
        let one = config(std::slice::from_ref(&slow));
        let many_urls: Vec<String> = (0..25).map(|i| format!("{slow}&n={i}")).collect();
        let many = config(&many_urls);
        let mut with_hang_urls = many_urls.clone();
        with_hang_urls.push(format!("http://127.0.0.1:{}/health", hang.port()));
        let with_hang = config(&with_hang_urls);
        let timeout = Duration::from_millis(HANG_TIMEOUT_MS);

        // Warm-up: first connections, lazy statics.
        time_scorecard(&many, timeout).await;

        let mut single = Vec::new();
        let mut twenty_five = Vec::new();
        let mut hanging = Vec::new();
        for _ in 0..iterations {
            single.push(time_scorecard(&one, timeout).await);
            twenty_five.push(time_scorecard(&many, timeout).await);
            hanging.push(time_scorecard(&with_hang, timeout).await);
        }
        let (s, m, h) = (median(single.clone()), median(twenty_five.clone()), median(hanging.clone()));
        let slowest_single = single.iter().max().copied().unwrap_or_default();
        println!("scorecard_probes: {iterations} iterations, server delay {DELAY_MS} ms, probe timeout {HANG_TIMEOUT_MS} ms");
        println!("  1 probe            median {:7.1} ms  max {:7.1} ms", ms(s), ms(slowest_single));
        println!(
            "  25 probes          median {:7.1} ms  max {:7.1} ms  = {:.2}x the single probe (target < 1.5x)",
            ms(m),
            ms(twenty_five.iter().max().copied().unwrap_or_default()),
            ms(m) / ms(s)
        );
        println!(
            "  25 + 1 hanging     median {:7.1} ms  max {:7.1} ms  = +{:.1} ms over 25 probes (target <= {HANG_TIMEOUT_MS} ms timeout)",
            ms(h),
            ms(hanging.iter().max().copied().unwrap_or_default()),
            ms(h) - ms(m)
        );
    });
}
