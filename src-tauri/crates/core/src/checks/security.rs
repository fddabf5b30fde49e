//! Security checks: TLS, headers, error shape, auth enforcement.

use super::{num, observed, single_response, thresholds, CheckKind, Judgement};
use crate::evidence::inputs::{AUTH, BASE, ERROR_SHAPE, RATE_LIMIT, TLS};
use crate::evidence::{Evidence, HttpOutcome, Redirect, TlsOutcome, TlsVersion};
use crate::rubric::{Better, CheckDef, ThresholdSpec};
use crate::scorecard::Outcome;

pub(super) const KINDS: &[CheckKind] = &[
    CheckKind {
        name: "tls",
        reads: &[TLS.id],
        thresholds: Some(ThresholdSpec::new(
            14.0,
            1.0,
            "days of certificate validity",
            Better::Higher,
        )),
        history_minimums: false,
        threshold: tls_threshold,
        judge: Some(tls),
    },
    CheckKind {
        name: "security_headers",
        reads: &[BASE.id],
        thresholds: None,
        history_minimums: false,
        threshold: |_| HEADERS_RULE.to_string(),
        judge: Some(headers),
    },
    CheckKind {
        name: "rate_limit_headers",
        reads: &[RATE_LIMIT.id],
        thresholds: None,
        history_minimums: false,
        threshold: |_| RATE_LIMIT_RULE.to_string(),
        judge: Some(rate_limit_headers),
    },
    CheckKind {
        name: "problem_json",
        reads: &[ERROR_SHAPE.id],
        thresholds: None,
        history_minimums: false,
        threshold: |_| PROBLEM_JSON_RULE.to_string(),
        judge: Some(problem_json),
    },
    CheckKind {
        name: "auth_enforced",
        reads: &[AUTH.id],
        thresholds: None,
        history_minimums: false,
        threshold: |_| AUTH_RULE.to_string(),
        judge: Some(auth_enforced),
    },
];

const HEADERS_RULE: &str = "pass: HSTS, X-Content-Type-Options: nosniff, and CSP or X-Frame-Options; partial: two of three";
const RATE_LIMIT_RULE: &str =
    "pass: X-RateLimit-Limit and X-RateLimit-Remaining (or IETF RateLimit fields); partial: one";
const PROBLEM_JSON_RULE: &str = "pass: application/problem+json with type, title, status; partial: a JSON error of another shape";
const AUTH_RULE: &str = "pass: every protected URL answers 401 or 403 without credentials";

fn tls_threshold(check: &CheckDef) -> String {
    let t = thresholds(check);
    format!(
        "pass: TLS 1.3 and certificate valid > {} days; partial: TLS 1.2, or valid {}–{} days",
        num(t.pass),
        num(t.partial),
        num(t.pass)
    )
}

fn tls(check: &CheckDef, ev: &Evidence) -> Judgement {
    let t = thresholds(check);
    let threshold = tls_threshold(check);
    let probe = match observed(ev, &TLS, &threshold) {
        Ok(p) => p,
        Err(j) => return j,
    };
    let j = Judgement::new(Outcome::Fail, "", threshold).source(probe.host.as_str(), probe.at);
    match &probe.outcome {
        TlsOutcome::PlainHttp => Judgement {
            measured: "plain HTTP".into(),
            ..j
        }
        .explain("The base URL is served over plain HTTP; serve it over HTTPS."),
        TlsOutcome::Failed { detail } => Judgement {
            measured: "handshake failed".into(),
            ..j
        }
        .explain(format!("The TLS handshake failed: {detail}.")),
        TlsOutcome::Handshake { version, not_after } => {
            let days = (*not_after - probe.at).as_seconds_f64() / 86_400.0;
            let measured = format!(
                "{version}, certificate valid {} more days",
                num(days.floor())
            );
            let modern = *version == TlsVersion::Tls13;
            let outcome = if days > t.pass && modern {
                Outcome::Pass
            } else if days >= t.partial {
                Outcome::Partial
            } else {
                Outcome::Fail
            };
            let explanation = match outcome {
                Outcome::Pass => "Modern TLS and a certificate with time to spare.".to_string(),
                _ if days < t.partial => format!(
                    "The certificate expires within {} day(s): renew it now.",
                    num(t.partial)
                ),
                _ if days <= t.pass => format!(
                    "The certificate expires in {} days: renew it.",
                    num(days.floor())
                ),
                _ => format!("{version} negotiated; enable TLS 1.3 for full points."),
            };
            Judgement {
                outcome,
                measured,
                ..j
            }
            .explain(explanation)
        }
    }
}

fn headers(_check: &CheckDef, ev: &Evidence) -> Judgement {
    let (response, j) = match single_response(ev, &BASE, HEADERS_RULE, "The base URL") {
        Ok(found) => found,
        Err(j) => return j,
    };
    let hsts = response.header("strict-transport-security").is_some();
    let nosniff = response
        .header("x-content-type-options")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("nosniff"));
    let framing = response.header("content-security-policy").is_some()
        || response.header("x-frame-options").is_some();
    let present = [hsts, nosniff, framing].iter().filter(|b| **b).count();
    let missing: Vec<&str> = [
        (hsts, "Strict-Transport-Security"),
        (nosniff, "X-Content-Type-Options: nosniff"),
        (framing, "Content-Security-Policy or X-Frame-Options"),
    ]
    .iter()
    .filter(|(ok, _)| !ok)
    .map(|(_, name)| *name)
    .collect();
    let outcome = match present {
        3 => Outcome::Pass,
        2 => Outcome::Partial,
        _ => Outcome::Fail,
    };
    let mut explanation = if missing.is_empty() {
        "All three security headers are present.".to_string()
    } else {
        format!("Missing: {}.", missing.join("; "))
    };
    // Headers judged on a redirect Readyroom would not follow belong to the
    // redirect, not to the page: say so.
    if let Some(r @ Redirect::Refused { .. }) = &response.redirect {
        explanation.push_str(&format!(
            " These are the headers of the redirect itself: {r}."
        ));
    }
    Judgement {
        outcome,
        measured: format!("{present} of 3 present"),
        ..j
    }
    .explain(explanation)
}

fn rate_limit_headers(_check: &CheckDef, ev: &Evidence) -> Judgement {
    let (response, j) = match single_response(ev, &RATE_LIMIT, RATE_LIMIT_RULE, "The API URL") {
        Ok(found) => found,
        Err(j) => return j,
    };
    let any = |names: &[&str]| names.iter().any(|n| response.header(n).is_some());
    // IETF draft-ietf-httpapi-ratelimit-headers: older drafts split the fields
    // (RateLimit-Limit / -Remaining); newer ones carry the remaining quota in
    // `RateLimit` and the limit in `RateLimit-Policy`.
    let limit = any(&["x-ratelimit-limit", "ratelimit-limit", "ratelimit-policy"]);
    let remaining = any(&["x-ratelimit-remaining", "ratelimit-remaining", "ratelimit"]);
    let (outcome, explanation) = match (limit, remaining) {
        (true, true) => (
            Outcome::Pass,
            "The API tells clients their limit and what remains.",
        ),
        (true, false) => (
            Outcome::Partial,
            "The API states the limit but not the remaining quota.",
        ),
        (false, true) => (
            Outcome::Partial,
            "The API states the remaining quota but not the limit.",
        ),
        (false, false) => (Outcome::Fail, "No rate-limit headers on the API response."),
    };
    let measured = format!(
        "limit {}, remaining {}",
        if limit { "present" } else { "absent" },
        if remaining { "present" } else { "absent" }
    );
    Judgement {
        outcome,
        measured,
        ..j
    }
    .explain(explanation)
}

fn problem_json(_check: &CheckDef, ev: &Evidence) -> Judgement {
    let (response, j) =
        match single_response(ev, &ERROR_SHAPE, PROBLEM_JSON_RULE, "The error probe") {
            Ok(found) => found,
            Err(j) => return j,
        };
    let content_type = response
        .header("content-type")
        .unwrap_or("none")
        .to_string();
    let measured = format!("HTTP {}, {content_type}", response.status);
    let j = Judgement { measured, ..j };
    if response.status < 400 {
        return j.explain(format!(
            "A path that must fail answered HTTP {}.",
            response.status
        ));
    }
    let Some(body) = &response.json else {
        return j.explain("The error response is not JSON.");
    };
    let is_problem = content_type
        .to_ascii_lowercase()
        .starts_with("application/problem+json");
    let has_fields = ["type", "title", "status"]
        .iter()
        .all(|k| body.get(*k).is_some());
    if is_problem && has_fields {
        Judgement {
            outcome: Outcome::Pass,
            ..j
        }
        .explain("Errors are RFC 9457 problem details.")
    } else {
        Judgement { outcome: Outcome::Partial, ..j }.explain(
            "Errors are JSON but not problem details (application/problem+json with type, title, status).",
        )
    }
}

fn auth_enforced(_check: &CheckDef, ev: &Evidence) -> Judgement {
    let threshold = AUTH_RULE;
    let probes = match observed(ev, &AUTH, threshold) {
        Ok(p) => p,
        Err(j) => return j,
    };
    let at = probes.iter().map(|p| p.at).min().unwrap_or(ev.gathered_at);
    let source = probes
        .iter()
        .map(|p| p.url.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let open: Vec<String> = probes
        .iter()
        .filter_map(|p| match &p.outcome {
            HttpOutcome::Response(r) if matches!(r.status, 401 | 403) => None,
            HttpOutcome::Response(r) => Some(format!("{} answered HTTP {}", p.url, r.status)),
            HttpOutcome::Failed(f) => Some(format!("{}: {f}", p.url)),
        })
        .collect();
    let enforced = probes.len() - open.len();
    let measured = format!("{enforced}/{} refused without credentials", probes.len());
    let j = Judgement::new(Outcome::Fail, measured, threshold).source(source, at);
    if open.is_empty() {
        Judgement {
            outcome: Outcome::Pass,
            ..j
        }
        .explain("Every protected URL refuses anonymous requests.")
    } else {
        j.explain(format!("Not proven protected: {}.", open.join("; ")))
    }
}
