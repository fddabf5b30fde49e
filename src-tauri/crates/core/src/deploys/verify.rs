//! After a rollback: is production healthy, and is it serving the
//! deployment it was moved to? Each round of health probes is judged here;
//! the polling itself (every interval until healthy or the deadline) is the
//! application's.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use ts_rs::TS;

use super::Deployment;
use crate::checks::health::{dependencies_of, first_unhealthy, state_of, DepState};
use crate::evidence::HttpProbe;

/// One round of health probes, judged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "verdict", rename_all = "camelCase")]
pub enum PollVerdict {
    /// Every health URL answered 2xx, saying ok, from the target release
    /// (where the body names its release).
    Healthy,
    /// Answering 2xx, but the body says degraded, or a dependency is not
    /// ok.
    Degraded { why: String },
    /// Answering 2xx, healthy, but from another release than the target
    /// (the rollback is not live yet).
    OtherRelease { serving: String },
    /// A health URL failed or answered an error.
    Down { why: String },
}

impl PollVerdict {
    pub fn healthy(&self) -> bool {
        matches!(self, PollVerdict::Healthy)
    }

    pub fn words(&self) -> String {
        match self {
            PollVerdict::Healthy => "healthy".into(),
            PollVerdict::Degraded { why } => format!("degraded: {why}"),
            PollVerdict::OtherRelease { serving } => {
                format!("healthy, but still serving {serving}")
            }
            PollVerdict::Down { why } => format!("down: {why}"),
        }
    }
}

/// Identifiers a health body names its release by.
const RELEASE_KEYS: &[&str] = &[
    "version", "commit", "sha", "git_sha", "gitSha", "release", "build",
];

fn release_ids(body: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for scope in [
        Some(body),
        body.get("app"),
        body.get("service"),
        body.get("info"),
    ]
    .into_iter()
    .flatten()
    {
        for key in RELEASE_KEYS {
            match scope.get(*key) {
                Some(Value::String(s)) if !s.is_empty() => out.push(s.clone()),
                Some(Value::Number(n)) => out.push(n.to_string()),
                _ => {}
            }
        }
    }
    out
}

/// Whether a release id the health body gave is `d`'s version or commit
/// (a commit matches by prefix, either way, from 7 characters).
fn names(d: &Deployment, id: &str) -> bool {
    let commit = |c: &str| {
        let n = c.len().min(id.len());
        n >= 7 && c[..n].eq_ignore_ascii_case(&id[..n])
    };
    d.version.as_deref() == Some(id) || d.commit.as_deref().is_some_and(commit)
}

/// Judges one round of probes of every health URL against the target.
pub fn judge_poll(probes: &[HttpProbe], target: Option<&Deployment>) -> PollVerdict {
    if probes.is_empty() {
        return PollVerdict::Down {
            why: "no health URL answered".into(),
        };
    }
    if let Some(why) = first_unhealthy(probes) {
        return PollVerdict::Down { why };
    }
    for probe in probes {
        let Some(body) = probe.response().and_then(|r| r.json.as_ref()) else {
            continue;
        };
        if let Some(status) = ["status", "state", "health"]
            .iter()
            .find_map(|k| body.get(*k))
        {
            match state_of(status) {
                DepState::Ok => {}
                DepState::Degraded => {
                    return PollVerdict::Degraded {
                        why: format!("{} says {}", probe.url, render(status)),
                    }
                }
                DepState::Down => {
                    return PollVerdict::Down {
                        why: format!("{} says {}", probe.url, render(status)),
                    }
                }
            }
        }
        let not_ok: Vec<String> = dependencies_of(body)
            .unwrap_or_default()
            .into_iter()
            .filter(|(_, s)| *s != DepState::Ok)
            .map(|(name, s)| {
                format!(
                    "{name} {}",
                    if s == DepState::Down {
                        "down"
                    } else {
                        "degraded"
                    }
                )
            })
            .collect();
        if !not_ok.is_empty() {
            return PollVerdict::Degraded {
                why: format!("{}: {}", probe.url, not_ok.join(", ")),
            };
        }
        if let Some(target) = target {
            let ids = release_ids(body);
            let knows = target.version.is_some() || target.commit.is_some();
            if knows && !ids.is_empty() && !ids.iter().any(|id| names(target, id)) {
                return PollVerdict::OtherRelease {
                    serving: ids.join(" "),
                };
            }
        }
    }
    PollVerdict::Healthy
}

fn render(v: &Value) -> String {
    match v {
        Value::String(s) => format!("\"{s}\""),
        Value::Object(o) => o.get("status").map(render).unwrap_or_else(|| v.to_string()),
        other => other.to_string(),
    }
}

/// One round on the verification's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Poll {
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    pub at: OffsetDateTime,
    /// Since the provider accepted the rollback.
    pub after_ms: u64,
    pub verdict: PollVerdict,
}

/// How verification ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "outcome", rename_all = "camelCase")]
pub enum VerificationOutcome {
    /// Production answered healthy from the target.
    Healthy { after_ms: u64 },
    /// The deadline passed without a healthy answer.
    NotHealthy { deadline_ms: u64, last: String },
    /// Nothing to verify with (no health URLs), or nothing was sent.
    NotVerified { why: String },
}

/// The timeline of health polls after a rollback, and its conclusion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Verification {
    pub polls: Vec<Poll>,
    pub outcome: VerificationOutcome,
}

impl Verification {
    /// Concludes a timeline: healthy at its first healthy poll, otherwise
    /// not healthy at the deadline with the last poll's words.
    pub fn conclude(polls: Vec<Poll>, deadline_ms: u64) -> Verification {
        let outcome = match polls.iter().find(|p| p.verdict.healthy()) {
            Some(p) => VerificationOutcome::Healthy {
                after_ms: p.after_ms,
            },
            None => VerificationOutcome::NotHealthy {
                deadline_ms,
                last: polls
                    .last()
                    .map(|p| p.verdict.words())
                    .unwrap_or_else(|| "no health poll finished".into()),
            },
        };
        Verification { polls, outcome }
    }

    pub fn not_verified(why: impl Into<String>) -> Verification {
        Verification {
            polls: Vec::new(),
            outcome: VerificationOutcome::NotVerified { why: why.into() },
        }
    }

    pub fn healthy(&self) -> Option<bool> {
        match self.outcome {
            VerificationOutcome::Healthy { .. } => Some(true),
            VerificationOutcome::NotHealthy { .. } => Some(false),
            VerificationOutcome::NotVerified { .. } => None,
        }
    }

    /// The one sentence an operator reads: is production healthy now?
    pub fn sentence(&self) -> String {
        match &self.outcome {
            VerificationOutcome::Healthy { after_ms } => format!(
                "production is healthy: it answered healthy {} after the rollback was accepted",
                seconds(*after_ms)
            ),
            VerificationOutcome::NotHealthy { deadline_ms, last } => format!(
                "production is NOT healthy: still {last} at the {} deadline",
                seconds(*deadline_ms)
            ),
            VerificationOutcome::NotVerified { why } => format!("not verified: {why}"),
        }
    }
}

fn seconds(ms: u64) -> String {
    if ms >= 60_000 && ms.is_multiple_of(60_000) {
        format!("{} min", ms / 60_000)
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;
    use crate::deploys::DeployState;
    use crate::evidence::{HttpOutcome, HttpResponse, ProbeFailure};

    fn probe(status: u16, body: Option<Value>) -> HttpProbe {
        HttpProbe {
            url: "https://app.example/api/health".into(),
            at: OffsetDateTime::UNIX_EPOCH,
            elapsed_ms: 40.0,
            outcome: HttpOutcome::Response(HttpResponse {
                status,
                headers: BTreeMap::new(),
                json: body,
                body_cut_at: None,
                redirect: None,
            }),
        }
    }

    fn target() -> Deployment {
        Deployment {
            id: "dpl_7c9".into(),
            version: Some("2.14.0".into()),
            commit: Some("3f9c2ab51d0e".into()),
            message: None,
            author: None,
            created_at: OffsetDateTime::UNIX_EPOCH,
            state: DeployState::Ready,
            rollback_candidate: None,
            url: None,
        }
    }

    #[test]
    fn healthy_means_2xx_ok_dependencies_ok_and_the_target_release() {
        let t = target();
        let ok =
            json!({"status": "ok", "version": "2.14.0", "checks": {"database": {"status": "ok"}}});
        assert_eq!(
            judge_poll(&[probe(200, Some(ok))], Some(&t)),
            PollVerdict::Healthy
        );
        // A commit names the release by prefix; a body without ids is taken at its word.
        let by_commit = json!({"status": "ok", "commit": "3f9c2ab"});
        assert!(judge_poll(&[probe(200, Some(by_commit))], Some(&t)).healthy());
        assert!(judge_poll(&[probe(204, None)], Some(&t)).healthy());
    }

    #[test]
    fn anything_less_is_said_with_its_reason() {
        let t = target();
        let old = json!({"status": "ok", "version": "2.15.0", "commit": "e4d1c0f"});
        assert_eq!(
            judge_poll(&[probe(200, Some(old))], Some(&t)),
            PollVerdict::OtherRelease {
                serving: "2.15.0 e4d1c0f".into()
            }
        );
        let degraded = json!({"status": "degraded", "version": "2.14.0"});
        let words = judge_poll(&[probe(200, Some(degraded))], Some(&t)).words();
        assert!(
            words.starts_with("degraded") && words.contains("\"degraded\""),
            "{words}"
        );
        let dep =
            json!({"status": "ok", "version": "2.14.0", "checks": {"llm": {"status": "down"}}});
        assert_eq!(
            judge_poll(&[probe(200, Some(dep))], Some(&t)).words(),
            "degraded: https://app.example/api/health: llm down"
        );
        let down = judge_poll(&[probe(503, Some(json!({"status": "down"})))], Some(&t));
        assert!(
            matches!(down, PollVerdict::Down { ref why } if why.contains("HTTP 503")),
            "{down:?}"
        );
        let failed = HttpProbe {
            outcome: HttpOutcome::Failed(ProbeFailure::Timeout { after_ms: 5000 }),
            ..probe(200, None)
        };
        assert!(!judge_poll(&[probe(200, None), failed], Some(&t)).healthy());
        assert!(!judge_poll(&[], Some(&t)).healthy());
    }

    #[test]
    fn the_timeline_ends_at_its_first_healthy_poll_or_says_it_did_not() {
        let poll = |after_ms, verdict| Poll {
            at: OffsetDateTime::UNIX_EPOCH,
            after_ms,
            verdict,
        };
        let down = || PollVerdict::Down {
            why: "x answered HTTP 503".into(),
        };
        let v = Verification::conclude(
            vec![poll(1000, down()), poll(3000, PollVerdict::Healthy)],
            120_000,
        );
        assert_eq!(v.outcome, VerificationOutcome::Healthy { after_ms: 3000 });
        assert_eq!(v.healthy(), Some(true));
        assert!(
            v.sentence().starts_with("production is healthy"),
            "{}",
            v.sentence()
        );
        let v = Verification::conclude(vec![poll(1000, down())], 120_000);
        assert_eq!(v.healthy(), Some(false));
        assert_eq!(
            v.sentence(),
            "production is NOT healthy: still down: x answered HTTP 503 at the 2 min deadline"
        );
        assert_eq!(Verification::not_verified("no health_urls").healthy(), None);
    }
}
