//! The app's own connection pool, from its Prometheus metrics: in use,
//! idle, waiting and max, by the names the config gives or the first
//! preset found (the demo's, HikariCP's, node-postgres's).

use std::time::Duration;

use readyroom_core::config::Environment;
use readyroom_core::evidence::{InputId, Missing};
use readyroom_core::pools::app_metrics::{
    detect, preset_metric_names, preset_prefixes, MetricPoint, PoolMetricNames,
};
use readyroom_core::pools::evidence::APP_POOL;
use readyroom_core::pools::AppPoolSample;
use time::OffsetDateTime;

use crate::http::HttpClients;
use crate::metrics::{fetch_text, Fetched};
use crate::source::{BoxFuture, Findings, RunContext, Source};

/// The app pool's metrics, as a source.
pub struct AppPoolSource;

/// Where the app pool's metrics are read, and by which names (`None`: the
/// presets are tried).
pub fn app_pool_target(env: &Environment) -> Option<(String, Option<PoolMetricNames>)> {
    let section = env.app_pool.as_ref();
    let url = section
        .and_then(|a| a.metrics_url.as_ref())
        .or(env.metrics_url.as_ref())?;
    Some((url.to_string(), section.and_then(|a| a.names())))
}

impl Source for AppPoolSource {
    fn label(&self) -> &'static str {
        "app pool"
    }

    fn provides(&self) -> &'static [InputId] {
        &[APP_POOL.id]
    }

    fn configured(&self, env: &Environment) -> bool {
        app_pool_target(env).is_some()
    }

    fn gather<'a>(&'a self, ctx: &'a RunContext<'a>) -> BoxFuture<'a, Findings> {
        Box::pin(async move {
            let mut findings = Findings::new(ctx);
            let Some((url, names)) = app_pool_target(ctx.env) else {
                return findings;
            };
            match read_app_pool(ctx.http, &url, names.as_ref(), ctx.timeout).await {
                Ok(sample) => {
                    findings.set(&APP_POOL, Ok(sample));
                    findings.seen(url, Ok(()))
                }
                Err(reason) => {
                    findings.set(
                        &APP_POOL,
                        Err(Missing::Unavailable {
                            source: url.clone(),
                            reason: reason.clone(),
                            at: OffsetDateTime::now_utc(),
                        }),
                    );
                    findings.seen(url, Err(reason))
                }
            }
        })
    }
}

/// Reads the pool's figures from the exposition at `url`, or says why not.
pub async fn read_app_pool(
    http: &HttpClients,
    url: &str,
    names: Option<&PoolMetricNames>,
    timeout: Duration,
) -> Result<AppPoolSample, String> {
    let fetched = match tokio::time::timeout(timeout, fetch_text(http, url)).await {
        Ok(fetched) => fetched,
        // The same words as the client's own timeout, which may fire
        // first: one message for one failure.
        Err(_) => return Err(format!("{url}: timed out after {} ms", timeout.as_millis())),
    };
    let text = match &*fetched {
        Fetched::Text(text) => text,
        Fetched::Failed(outcome) => return Err(format!("{url}: {}", Fetched::reason(outcome))),
    };
    let wanted: Vec<&str> = match names {
        Some(n) => n.metric_names(),
        None => preset_metric_names(),
    };
    let points = points(text, &wanted)
        .map_err(|e| format!("{url} is not in the Prometheus text format: {e}"))?;
    let at = OffsetDateTime::now_utc();
    let (used_names, figures) = match names {
        Some(names) => (
            "custom",
            names.read(&points).ok_or_else(|| {
                format!("{url} has none of the pool metrics named in [app_pool] (in use, or total and idle, or waiting)")
            })?,
        ),
        None => detect(&points).ok_or_else(|| {
            format!(
                "{url} exports no pool metrics Readyroom knows ({}); name yours in [environments.NAME.app_pool]",
                preset_prefixes()
            )
        })?,
    };
    Ok(AppPoolSample {
        source: url.to_string(),
        at,
        names: used_names.to_string(),
        in_use: figures.in_use,
        idle: figures.idle,
        waiting: figures.waiting,
        max: figures.max,
    })
}

/// The plain samples of an exposition whose metric is one of `wanted`
/// (histograms and summaries are not pool figures). Only those lines are
/// parsed: an app may export megabytes of metrics around its pool's few.
fn points(text: &str, wanted: &[&str]) -> std::io::Result<Vec<MetricPoint>> {
    let lines = text.lines().filter(|line| {
        let name = line
            .split(|c: char| c == '{' || c.is_whitespace())
            .next()
            .unwrap_or("");
        wanted.contains(&name)
    });
    let scrape = prometheus_parse::Scrape::parse(lines.map(|l| Ok(l.to_string())))?;
    Ok(scrape
        .samples
        .into_iter()
        .filter_map(|s| {
            let value = match s.value {
                prometheus_parse::Value::Counter(v)
                | prometheus_parse::Value::Gauge(v)
                | prometheus_parse::Value::Untyped(v) => v,
                _ => return None,
            };
            Some(MetricPoint {
                name: s.metric,
                labels: s
                    .labels
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                value,
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_metrics_asked_for_become_points_with_labels() {
        let text = "# TYPE demo_db_pool_connections gauge\ndemo_db_pool_connections{state=\"in_use\"} 4\ndemo_db_pool_connections{state=\"idle\"} 6\n# TYPE lat histogram\nlat_bucket{le=\"1\"} 3\nlat_sum 1\nlat_count 3\n";
        let points = points(text, &["demo_db_pool_connections"]).expect("parses");
        let in_use = points
            .iter()
            .find(|p| p.labels.contains(&("state".into(), "in_use".into())))
            .expect("in_use");
        assert_eq!(in_use.value, 4.0);
        assert_eq!(points.len(), 2, "only the metrics asked for: {points:?}");
    }
}
