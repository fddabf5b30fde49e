//! Health endpoint checks and the metrics endpoint.

use serde_json::Value;

use super::{band, banded, describe, num, observed, thresholds, CheckKind, Judgement};
use crate::evidence::inputs::{HEALTH, METRICS};
use crate::evidence::{Evidence, HttpOutcome, HttpProbe, MetricsOutcome};
use crate::rubric::{Better, CheckDef, ThresholdSpec};
use crate::scorecard::Outcome;

pub(super) const KINDS: &[CheckKind] = &[
    CheckKind {
        name: "health_endpoint",
        reads: &[HEALTH.id],
        thresholds: Some(ThresholdSpec::new(1_000.0, 5_000.0, "ms", Better::Lower)),
        history_minimums: false,
        threshold: endpoint_threshold,
        judge: Some(endpoint),
    },
    CheckKind {
        name: "health_dependencies",
        reads: &[HEALTH.id],
        thresholds: None,
        history_minimums: false,
        threshold: |_| DEPENDENCIES_RULE.to_string(),
        judge: Some(dependencies),
    },
    CheckKind {
        name: "health_detail",
        reads: &[HEALTH.id],
        thresholds: None,
        history_minimums: false,
        threshold: |_| DETAIL_RULE.to_string(),
        judge: Some(detail),
    },
    CheckKind {
        name: "health_latency",
        reads: &[HEALTH.id],
        thresholds: Some(ThresholdSpec::new(300.0, 1_000.0, "ms", Better::Lower)),
        history_minimums: false,
        threshold: banded,
        judge: Some(latency),
    },
    CheckKind {
        name: "metrics_endpoint",
        reads: &[METRICS.id],
        thresholds: None,
        history_minimums: false,
        threshold: |_| METRICS_RULE.to_string(),
        judge: Some(metrics_endpoint),
    },
];

const DEPENDENCIES_RULE: &str =
    "pass: all dependencies ok; partial: no per-dependency detail, or some degraded and none down";
const DETAIL_RULE: &str = "pass: version/commit and per-dependency checks; partial: one of them";
const METRICS_RULE: &str =
    "pass: reachable, parses, >= 1 metric family; partial: reachable but unparseable";

fn sources(probes: &[HttpProbe]) -> String {
    probes
        .iter()
        .map(|p| p.url.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn first_at(probes: &[HttpProbe]) -> time::OffsetDateTime {
    probes
        .iter()
        .map(|p| p.at)
        .min()
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// Whether a health probe counts as healthy: a 2xx from the URL itself.
/// An answer reached through a redirect proves nothing (a login page
/// answers 200 too).
pub(crate) fn healthy(p: &HttpProbe) -> bool {
    p.response()
        .is_some_and(|r| r.is_success() && r.redirect.is_none())
}

/// The first probe that is not healthy, described.
pub(crate) fn first_unhealthy(probes: &[HttpProbe]) -> Option<String> {
    probes.iter().find_map(|p| match &p.outcome {
        HttpOutcome::Response(_) if healthy(p) => None,
        HttpOutcome::Response(r) => Some(match &r.redirect {
            Some(redirect) => format!(
                "{} answered HTTP {}, but {redirect}; a health URL must answer itself, so set health_urls to the URL that does",
                p.url, r.status
            ),
            None => format!("{} answered HTTP {}", p.url, r.status),
        }),
        HttpOutcome::Failed(f) => Some(format!("{}: {f}", p.url)),
    })
}

fn endpoint_threshold(check: &CheckDef) -> String {
    format!("every URL 2xx; {}", describe(&thresholds(check)))
}

fn endpoint(check: &CheckDef, ev: &Evidence) -> Judgement {
    let t = thresholds(check);
    let threshold = endpoint_threshold(check);
    let probes = match observed(ev, &HEALTH, &threshold) {
        Ok(p) => p,
        Err(j) => return j,
    };
    let healthy = probes.iter().filter(|p| healthy(p)).count();
    let slowest = probes.iter().map(|p| p.elapsed_ms).fold(0.0, f64::max);
    let measured = format!(
        "{healthy}/{} URLs 2xx, slowest {} ms",
        probes.len(),
        num(slowest.round())
    );
    let j = Judgement::new(Outcome::Fail, measured, threshold)
        .source(sources(probes), first_at(probes));
    if let Some(problem) = first_unhealthy(probes) {
        return j.explain(format!("A health URL is not healthy: {problem}."));
    }
    let outcome = band(slowest, &t);
    let explanation = match outcome {
        Outcome::Pass => "Every health URL answered 2xx quickly.".to_string(),
        _ => format!(
            "Every health URL answered 2xx, but the slowest took {} ms.",
            num(slowest.round())
        ),
    };
    Judgement { outcome, ..j }.explain(explanation)
}

fn latency(check: &CheckDef, ev: &Evidence) -> Judgement {
    let t = thresholds(check);
    let threshold = describe(&t);
    let probes = match observed(ev, &HEALTH, &threshold) {
        Ok(p) => p,
        Err(j) => return j,
    };
    let slowest = probes.iter().map(|p| p.elapsed_ms).fold(0.0, f64::max);
    let j = Judgement::new(
        Outcome::Fail,
        format!("slowest {} ms", num(slowest.round())),
        threshold,
    )
    .source(sources(probes), first_at(probes));
    if let Some(problem) = probes.iter().find_map(|p| match &p.outcome {
        HttpOutcome::Failed(f) => Some(format!("{}: {f}", p.url)),
        HttpOutcome::Response(_) => None,
    }) {
        return j.explain(format!("No latency to judge: {problem}."));
    }
    let outcome = band(slowest, &t);
    Judgement { outcome, ..j }.explain(format!(
        "The slowest health probe took {} ms.",
        num(slowest.round())
    ))
}

/// How a dependency reported itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum DepState {
    Ok,
    Degraded,
    Down,
}

pub(crate) fn state_of_word(s: &str) -> DepState {
    match s.to_ascii_lowercase().as_str() {
        "ok" | "up" | "healthy" | "pass" | "passing" | "green" | "available" => DepState::Ok,
        "down" | "fail" | "failed" | "failing" | "error" | "unhealthy" | "red" | "critical"
        | "unavailable" => DepState::Down,
        _ => DepState::Degraded,
    }
}

pub(crate) fn state_of(v: &Value) -> DepState {
    match v {
        Value::String(s) => state_of_word(s),
        Value::Bool(true) => DepState::Ok,
        Value::Bool(false) => DepState::Down,
        Value::Object(o) => {
            for key in ["status", "state", "health"] {
                if let Some(inner) = o.get(key) {
                    return state_of(inner);
                }
            }
            for key in ["ok", "healthy", "up"] {
                if let Some(Value::Bool(b)) = o.get(key) {
                    return if *b { DepState::Ok } else { DepState::Down };
                }
            }
            DepState::Degraded
        }
        _ => DepState::Degraded,
    }
}

/// Per-dependency states from a health body: a `checks` or `dependencies`
/// map (name → status) or array (objects with a name and a status).
pub(crate) fn dependencies_of(body: &Value) -> Option<Vec<(String, DepState)>> {
    let deps = ["checks", "dependencies", "details", "components"]
        .iter()
        .find_map(|k| body.get(*k))?;
    let list: Vec<(String, DepState)> = match deps {
        Value::Object(map) => map.iter().map(|(k, v)| (k.clone(), state_of(v))).collect(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let name = ["name", "id", "component"]
                    .iter()
                    .find_map(|k| item.get(*k).and_then(Value::as_str))
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("#{i}"));
                (name, state_of(item))
            })
            .collect(),
        _ => return None,
    };
    (!list.is_empty()).then_some(list)
}

fn version_of(body: &Value) -> Option<String> {
    let keys = [
        "version", "commit", "sha", "git_sha", "gitSha", "release", "build",
    ];
    let pick = |v: &Value| keys.iter().find_map(|k| v.get(*k)).map(render_scalar);
    pick(body).or_else(|| {
        ["app", "service", "info"]
            .iter()
            .find_map(|k| body.get(*k))
            .and_then(pick)
    })
}

fn render_scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn dependencies(_check: &CheckDef, ev: &Evidence) -> Judgement {
    let threshold = DEPENDENCIES_RULE;
    let probes = match observed(ev, &HEALTH, threshold) {
        Ok(p) => p,
        Err(j) => return j,
    };
    let j = Judgement::new(Outcome::Fail, "", threshold).source(sources(probes), first_at(probes));
    let mut all: Vec<(String, DepState)> = Vec::new();
    let mut without_detail = Vec::new();
    for p in probes {
        match &p.outcome {
            HttpOutcome::Failed(f) => {
                return Judgement {
                    measured: "no response".into(),
                    ..j
                }
                .explain(format!("Cannot read dependencies: {}: {f}.", p.url))
            }
            HttpOutcome::Response(r) => match r.json.as_ref().and_then(dependencies_of) {
                Some(deps) => all.extend(deps),
                None => without_detail.push(match r.caveat() {
                    Some(caveat) => format!("{} ({caveat})", p.url),
                    None => p.url.clone(),
                }),
            },
        }
    }
    let down: Vec<&str> = all
        .iter()
        .filter(|(_, s)| *s == DepState::Down)
        .map(|(n, _)| n.as_str())
        .collect();
    let degraded: Vec<&str> = all
        .iter()
        .filter(|(_, s)| *s == DepState::Degraded)
        .map(|(n, _)| n.as_str())
        .collect();
    let ok = all.len() - down.len() - degraded.len();
    let measured = if all.is_empty() {
        "no per-dependency detail".to_string()
    } else {
        format!("{ok} ok, {} degraded, {} down", degraded.len(), down.len())
    };
    let j = Judgement { measured, ..j };
    if !down.is_empty() {
        return j.explain(format!("Dependencies down: {}.", down.join(", ")));
    }
    if !without_detail.is_empty() {
        return Judgement { outcome: Outcome::Partial, ..j }.explain(format!(
            "The health body of {} has no checks/dependencies map; add per-dependency status to earn full points.",
            without_detail.join(", ")
        ));
    }
    if !degraded.is_empty() {
        return Judgement {
            outcome: Outcome::Partial,
            ..j
        }
        .explain(format!("Dependencies degraded: {}.", degraded.join(", ")));
    }
    Judgement {
        outcome: Outcome::Pass,
        ..j
    }
    .explain(format!("All {ok} dependencies report ok."))
}

fn detail(_check: &CheckDef, ev: &Evidence) -> Judgement {
    let threshold = DETAIL_RULE;
    let probes = match observed(ev, &HEALTH, threshold) {
        Ok(p) => p,
        Err(j) => return j,
    };
    let j = Judgement::new(Outcome::Fail, "", threshold).source(sources(probes), first_at(probes));
    let bodies: Vec<&Value> = probes
        .iter()
        .filter_map(|p| p.response().and_then(|r| r.json.as_ref()))
        .collect();
    let version = bodies.iter().find_map(|b| version_of(b));
    let has_deps = bodies.iter().any(|b| dependencies_of(b).is_some());
    let measured = format!(
        "version: {}, dependency checks: {}",
        version.as_deref().unwrap_or("absent"),
        if has_deps { "present" } else { "absent" }
    );
    let (outcome, explanation) = match (version.is_some(), has_deps) {
        (true, true) => (
            Outcome::Pass,
            "The health body names its version and reports each dependency.",
        ),
        (true, false) => (
            Outcome::Partial,
            "The health body names its version but has no per-dependency checks.",
        ),
        (false, true) => (
            Outcome::Partial,
            "The health body reports dependencies but no version or commit.",
        ),
        (false, false) if bodies.is_empty() => {
            let caveats: Vec<String> = probes
                .iter()
                .filter_map(|p| {
                    let caveat = p.response()?.caveat()?;
                    Some(format!("{}: {caveat}", p.url))
                })
                .collect();
            if !caveats.is_empty() {
                return Judgement {
                    outcome: Outcome::Fail,
                    measured,
                    ..j
                }
                .explain(format!(
                    "No health URL answered with a JSON body that Readyroom could read ({}).",
                    caveats.join("; ")
                ));
            }
            (Outcome::Fail, "No health URL answered with a JSON body.")
        }
        (false, false) => (
            Outcome::Fail,
            "The health body has neither a version/commit nor dependency checks.",
        ),
    };
    Judgement {
        outcome,
        measured,
        ..j
    }
    .explain(explanation)
}

fn metrics_endpoint(_check: &CheckDef, ev: &Evidence) -> Judgement {
    let threshold = METRICS_RULE;
    let probe = match observed(ev, &METRICS, threshold) {
        Ok(p) => p,
        Err(j) => return j,
    };
    let j = Judgement::new(Outcome::Fail, "", threshold).source(probe.url.as_str(), probe.at);
    match &probe.outcome {
        MetricsOutcome::Parsed { families } if *families > 0 => Judgement {
            outcome: Outcome::Pass,
            measured: format!("{families} metric families"),
            ..j
        }
        .explain("The metrics endpoint answers in Prometheus text format."),
        MetricsOutcome::Parsed { .. } => Judgement {
            outcome: Outcome::Partial,
            measured: "0 metric families".into(),
            ..j
        }
        .explain("The metrics endpoint answers but exposes no metrics."),
        MetricsOutcome::Unparseable { detail } => Judgement {
            outcome: Outcome::Partial,
            measured: "unparseable".into(),
            ..j
        }
        .explain(format!(
            "The metrics endpoint answers but is not Prometheus text format: {detail}."
        )),
        MetricsOutcome::TooLarge { limit_bytes } => Judgement {
            outcome: Outcome::Partial,
            measured: format!("over {} MiB", limit_bytes / (1024 * 1024)),
            ..j
        }
        .explain(format!(
            "The metrics endpoint answers, but its exposition is longer than {} MiB, so Readyroom stopped reading it; a scrape that size strains Prometheus too.",
            limit_bytes / (1024 * 1024)
        )),
        MetricsOutcome::Redirected { to, reason } => Judgement {
            measured: "redirect not followed".into(),
            ..j
        }
        .explain(format!(
            "The metrics endpoint redirects to {to}, which Readyroom did not follow ({reason}); set metrics_url to the URL that serves the metrics."
        )),
        MetricsOutcome::HttpStatus { status } => Judgement {
            measured: format!("HTTP {status}"),
            ..j
        }
        .explain(format!("The metrics endpoint answered HTTP {status}.")),
        MetricsOutcome::Failed(f) => Judgement {
            measured: "no response".into(),
            ..j
        }
        .explain(format!("The metrics endpoint {f}.")),
    }
}
