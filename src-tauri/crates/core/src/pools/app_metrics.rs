//! The app's own connection pool, read from its Prometheus metrics.
//!
//! Pools name their metrics differently, so the names are data: a few
//! presets for common pools (and the demo's), tried in order when the
//! config names none, or the config's own selectors. A selector is a
//! metric name with optional label matchers, `name{label="value"}`; every
//! series it matches is summed (an app with two pools reports both).

use serde::{Deserialize, Serialize};

/// One sample line of an exposition: name, labels, value.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricPoint {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
}

/// A metric name with label matchers: `demo_db_pool_connections{state="in_use"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Selector {
    pub name: String,
    pub labels: Vec<(String, String)>,
}

impl Selector {
    /// Parses `name` or `name{a="x",b="y"}`.
    pub fn parse(text: &str) -> Result<Selector, String> {
        let text = text.trim();
        let (name, rest) = match text.find('{') {
            Some(i) => (&text[..i], Some(&text[i + 1..])),
            None => (text, None),
        };
        let valid_name = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
            && !name.starts_with(|c: char| c.is_ascii_digit());
        if !valid_name {
            return Err(format!(
                "'{text}' is not a metric selector: expected a metric name such as pg_pool_waiting_count, optionally with labels: name{{label=\"value\"}}"
            ));
        }
        let mut labels = Vec::new();
        if let Some(rest) = rest {
            let inner = rest.strip_suffix('}').ok_or_else(|| {
                format!("'{text}' is not a metric selector: the label list is not closed with }}")
            })?;
            for pair in inner.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                let (key, value) = pair.split_once('=').ok_or_else(|| {
                    format!("'{text}': label matcher '{pair}' is not label=\"value\"")
                })?;
                let value = value
                    .trim()
                    .strip_prefix('"')
                    .and_then(|v| v.strip_suffix('"'))
                    .ok_or_else(|| {
                        format!(
                            "'{text}': the value of label '{}' must be in double quotes",
                            key.trim()
                        )
                    })?;
                labels.push((key.trim().to_string(), value.to_string()));
            }
        }
        Ok(Selector {
            name: name.to_string(),
            labels,
        })
    }

    fn matches(&self, point: &MetricPoint) -> bool {
        point.name == self.name
            && self
                .labels
                .iter()
                .all(|(k, v)| point.labels.iter().any(|(pk, pv)| pk == k && pv == v))
    }

    /// The sum of every series it matches; `None` when none does.
    pub fn sum(&self, points: &[MetricPoint]) -> Option<f64> {
        let mut found = None;
        for p in points.iter().filter(|p| self.matches(p)) {
            *found.get_or_insert(0.0) += p.value;
        }
        found
    }
}

impl TryFrom<String> for Selector {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        Selector::parse(&text)
    }
}

impl From<Selector> for String {
    fn from(s: Selector) -> String {
        s.to_string()
    }
}

impl std::fmt::Display for Selector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)?;
        if !self.labels.is_empty() {
            let labels: Vec<String> = self
                .labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{v}\""))
                .collect();
            write!(f, "{{{}}}", labels.join(","))?;
        }
        Ok(())
    }
}

/// Which metrics hold the pool's figures. `in_use` may be left out where
/// `total` and `idle` are there (in use = total − idle).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PoolMetricNames {
    pub in_use: Option<Selector>,
    pub idle: Option<Selector>,
    pub waiting: Option<Selector>,
    pub max: Option<Selector>,
    pub total: Option<Selector>,
}

/// A named set of metric names for a common pool.
pub struct Preset {
    pub name: &'static str,
    pub in_use: Option<&'static str>,
    pub idle: Option<&'static str>,
    pub waiting: Option<&'static str>,
    pub max: Option<&'static str>,
    pub total: Option<&'static str>,
}

/// The presets tried, in order, when the config names no metrics.
pub const PRESETS: &[Preset] = &[
    // Readyroom's demo production.
    Preset {
        name: "demo",
        in_use: Some("demo_db_pool_connections{state=\"in_use\"}"),
        idle: Some("demo_db_pool_connections{state=\"idle\"}"),
        waiting: Some("demo_db_pool_waiting"),
        max: Some("demo_db_pool_max_connections"),
        total: None,
    },
    // HikariCP through Micrometer's Prometheus registry.
    Preset {
        name: "hikaricp",
        in_use: Some("hikaricp_connections_active"),
        idle: Some("hikaricp_connections_idle"),
        waiting: Some("hikaricp_connections_pending"),
        max: Some("hikaricp_connections_max"),
        total: Some("hikaricp_connections"),
    },
    // node-postgres's pg-pool: its totalCount, idleCount and waitingCount
    // (and options.max) exported as gauges under these names.
    Preset {
        name: "node-postgres",
        in_use: None,
        idle: Some("pg_pool_idle_count"),
        waiting: Some("pg_pool_waiting_count"),
        max: Some("pg_pool_max"),
        total: Some("pg_pool_total_count"),
    },
];

impl Preset {
    pub fn names(&self) -> PoolMetricNames {
        let sel = |s: Option<&str>| s.and_then(|s| Selector::parse(s).ok());
        PoolMetricNames {
            in_use: sel(self.in_use),
            idle: sel(self.idle),
            waiting: sel(self.waiting),
            max: sel(self.max),
            total: sel(self.total),
        }
    }
}

/// The pool's figures found with `names`.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolFigures {
    pub in_use: Option<f64>,
    pub idle: Option<f64>,
    pub waiting: Option<f64>,
    pub max: Option<f64>,
}

impl PoolMetricNames {
    /// The metric names its selectors read.
    pub fn metric_names(&self) -> Vec<&str> {
        [
            &self.in_use,
            &self.idle,
            &self.waiting,
            &self.max,
            &self.total,
        ]
        .into_iter()
        .flatten()
        .map(|s| s.name.as_str())
        .collect()
    }

    /// The figures, or `None` when neither the pool's use nor its waiters
    /// are in `points` (these are not this pool's metrics).
    pub fn read(&self, points: &[MetricPoint]) -> Option<PoolFigures> {
        let get = |s: &Option<Selector>| s.as_ref().and_then(|s| s.sum(points));
        let idle = get(&self.idle);
        let total = get(&self.total);
        let in_use = get(&self.in_use).or(match (total, idle) {
            (Some(t), Some(i)) => Some((t - i).max(0.0)),
            _ => None,
        });
        let waiting = get(&self.waiting);
        if in_use.is_none() && waiting.is_none() {
            return None;
        }
        Some(PoolFigures {
            in_use,
            idle,
            waiting,
            max: get(&self.max),
        })
    }
}

/// The first preset whose metrics are in `points`, with its figures.
pub fn detect(points: &[MetricPoint]) -> Option<(&'static str, PoolFigures)> {
    PRESETS
        .iter()
        .find_map(|p| p.names().read(points).map(|f| (p.name, f)))
}

/// Every metric name the presets read.
pub fn preset_metric_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = PRESETS
        .iter()
        .flat_map(|p| [p.in_use, p.idle, p.waiting, p.max, p.total])
        .flatten()
        .map(|s| s.split('{').next().unwrap_or(s))
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// What `detect` looked for, for the message when it finds nothing.
pub fn preset_prefixes() -> String {
    "demo_db_pool_*, hikaricp_connections_*, pg_pool_*".to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(name: &str, labels: &[(&str, &str)], value: f64) -> MetricPoint {
        MetricPoint {
            name: name.into(),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            value,
        }
    }

    #[test]
    fn a_selector_round_trips_and_bad_ones_say_why() {
        let s = Selector::parse(r#"demo_db_pool_connections{state="in_use", pool="a"}"#)
            .expect("parses");
        assert_eq!(s.name, "demo_db_pool_connections");
        assert_eq!(
            s.to_string(),
            r#"demo_db_pool_connections{state="in_use",pool="a"}"#
        );
        assert!(Selector::parse("").is_err());
        assert!(Selector::parse("9lives").is_err());
        let unclosed = Selector::parse(r#"x{a="b""#).expect_err("unclosed");
        assert!(unclosed.contains("not closed"), "{unclosed}");
        let unquoted = Selector::parse("x{a=b}").expect_err("unquoted");
        assert!(unquoted.contains("double quotes"), "{unquoted}");
    }

    #[test]
    fn the_demo_s_metrics_are_detected() {
        let points = [
            point("demo_db_pool_connections", &[("state", "in_use")], 10.0),
            point("demo_db_pool_connections", &[("state", "idle")], 0.0),
            point("demo_db_pool_waiting", &[], 7.0),
            point("demo_db_pool_max_connections", &[], 10.0),
            point("http_requests_total", &[("route", "/")], 99.0),
        ];
        let (preset, figures) = detect(&points).expect("detected");
        assert_eq!(preset, "demo");
        assert_eq!(
            figures,
            PoolFigures {
                in_use: Some(10.0),
                idle: Some(0.0),
                waiting: Some(7.0),
                max: Some(10.0)
            }
        );
    }

    #[test]
    fn in_use_is_total_less_idle_and_series_of_two_pools_add_up() {
        let points = [
            point("pg_pool_total_count", &[("pool", "a")], 8.0),
            point("pg_pool_total_count", &[("pool", "b")], 4.0),
            point("pg_pool_idle_count", &[("pool", "a")], 1.0),
            point("pg_pool_idle_count", &[("pool", "b")], 3.0),
            point("pg_pool_waiting_count", &[("pool", "a")], 2.0),
        ];
        let (preset, figures) = detect(&points).expect("detected");
        assert_eq!(preset, "node-postgres");
        assert_eq!(figures.in_use, Some(8.0));
        assert_eq!(figures.waiting, Some(2.0));
        assert_eq!(figures.max, None, "not exported: unknown, not zero");
    }

    #[test]
    fn hikaricp_names_and_labels_that_must_match() {
        let points = [
            point("hikaricp_connections_active", &[("pool", "main")], 3.0),
            point("hikaricp_connections_pending", &[("pool", "main")], 0.0),
        ];
        assert_eq!(detect(&points).expect("detected").0, "hikaricp");
        let names = PoolMetricNames {
            in_use: Selector::parse(r#"hikaricp_connections_active{pool="other"}"#).ok(),
            ..PoolMetricNames::default()
        };
        assert_eq!(names.read(&points), None, "no series has pool=other");
    }

    #[test]
    fn unrelated_metrics_detect_nothing() {
        assert!(detect(&[point("process_cpu_seconds_total", &[], 1.0)]).is_none());
    }
}
