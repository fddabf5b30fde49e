use std::collections::BTreeMap;

use serde_json::json;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use super::*;
use crate::evidence::inputs::*;
use crate::evidence::*;
use crate::rubric::{Better, Rubric};
use crate::traces::{Absorption, SpanWindow, UpstreamWindow, SPANS, UPSTREAM_CALLS};

const NOW: OffsetDateTime = datetime!(2026-11-22 10:00 UTC);

fn check(id: &str) -> CheckDef {
    Rubric::default_rubric()
        .categories
        .into_iter()
        .flat_map(|c| c.checks)
        .find(|c| c.id == id)
        .expect("check in default rubric")
}

fn response(status: u16, headers: &[(&str, &str)], json: Option<serde_json::Value>) -> HttpOutcome {
    HttpOutcome::Response(HttpResponse {
        status,
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
        json,
        body_cut_at: None,
        redirect: None,
    })
}

fn probe(url: &str, elapsed_ms: f64, outcome: HttpOutcome) -> HttpProbe {
    HttpProbe {
        url: url.into(),
        at: NOW,
        elapsed_ms,
        outcome,
    }
}

fn judge(id: &str, ev: &Evidence) -> Judgement {
    evaluate(&check(id), ev)
}

fn with_health(probes: Vec<HttpProbe>) -> Evidence {
    let mut ev = Evidence::empty("prod", NOW);
    ev.set(&HEALTH, Ok(probes));
    ev
}

#[test]
fn nothing_configured_is_unknown_and_says_what_to_configure() {
    let ev = Evidence::empty("prod", NOW);
    for cat in Rubric::default_rubric().categories {
        for c in cat.checks {
            let j = evaluate(&c, &ev);
            assert_eq!(j.outcome, Outcome::Unknown, "{}", c.id);
            assert!(
                j.explanation.starts_with("Not measured:"),
                "{}: {}",
                c.id,
                j.explanation
            );
        }
    }
    assert!(judge("infra.health_endpoint", &ev)
        .explanation
        .contains("health_urls"));
}

#[test]
fn unavailable_evidence_is_unknown_with_the_reason() {
    let mut ev = Evidence::empty("prod", NOW);
    ev.set(
        &POSTGRES,
        Err(Missing::Unavailable {
            source: "db:5432/app".into(),
            reason: "secret 'prod/db' is not set".into(),
            at: NOW,
        }),
    );
    let j = judge("infra.connection_headroom", &ev);
    assert_eq!(j.outcome, Outcome::Unknown);
    assert_eq!(j.source, "db:5432/app");
    assert!(j.explanation.contains("secret 'prod/db' is not set"));
}

#[test]
fn health_endpoint_bands_by_slowest_url() {
    let ok = |ms| probe("https://a/health", ms, response(200, &[], None));
    assert_eq!(
        judge(
            "infra.health_endpoint",
            &with_health(vec![ok(120.0), ok(900.0)])
        )
        .outcome,
        Outcome::Pass
    );
    let j = judge(
        "infra.health_endpoint",
        &with_health(vec![ok(120.0), ok(1_500.0)]),
    );
    assert_eq!(j.outcome, Outcome::Partial);
    assert_eq!(j.measured, "2/2 URLs 2xx, slowest 1500 ms");
    assert_eq!(
        judge("infra.health_endpoint", &with_health(vec![ok(5_000.0)])).outcome,
        Outcome::Fail
    );
}

#[test]
fn a_health_url_that_times_out_or_500s_is_fail_not_unknown() {
    let timeout = probe(
        "https://a/health",
        5_000.0,
        HttpOutcome::Failed(ProbeFailure::Timeout { after_ms: 5_000 }),
    );
    let j = judge("infra.health_endpoint", &with_health(vec![timeout]));
    assert_eq!(j.outcome, Outcome::Fail);
    assert!(
        j.explanation.contains("timed out after 5000 ms"),
        "{}",
        j.explanation
    );
    let err = probe("https://a/health", 10.0, response(503, &[], None));
    let j = judge("infra.health_endpoint", &with_health(vec![err]));
    assert_eq!(j.outcome, Outcome::Fail);
    assert!(j.explanation.contains("HTTP 503"));
}

#[test]
fn a_health_url_answered_through_a_redirect_is_not_healthy() {
    let mut login = response(200, &[], Some(json!({"status": "ok"})));
    if let HttpOutcome::Response(r) = &mut login {
        r.redirect = Some(Redirect::Followed {
            to: "https://a/login".into(),
        });
    }
    let j = judge(
        "infra.health_endpoint",
        &with_health(vec![probe("https://a/health", 20.0, login)]),
    );
    assert_eq!(j.outcome, Outcome::Fail);
    assert_eq!(j.measured, "0/1 URLs 2xx, slowest 20 ms");
    assert!(
        j.explanation.contains("redirected to https://a/login")
            && j.explanation.contains("set health_urls"),
        "{}",
        j.explanation
    );
}

#[test]
fn a_health_body_cut_short_says_so() {
    let mut cut = response(200, &[], None);
    if let HttpOutcome::Response(r) = &mut cut {
        r.body_cut_at = Some(1_048_576);
    }
    let ev = with_health(vec![probe("https://a/health", 20.0, cut)]);
    let j = judge("obs.health_detail", &ev);
    assert_eq!(j.outcome, Outcome::Fail);
    assert!(
        j.explanation.contains("longer than 1048576 bytes"),
        "{}",
        j.explanation
    );
    let j = judge("infra.health_dependencies", &ev);
    assert!(
        j.explanation.contains("stopped reading"),
        "{}",
        j.explanation
    );
}

#[test]
fn base_headers_of_a_refused_redirect_say_whose_headers_they_are() {
    let mut hop = response(302, &[("x-frame-options", "DENY")], None);
    if let HttpOutcome::Response(r) = &mut hop {
        r.redirect = Some(Redirect::Refused {
            to: "https://elsewhere.example/".into(),
            reason: "another host".into(),
        });
    }
    let mut ev = Evidence::empty("prod", NOW);
    ev.set(&BASE, Ok(probe("https://a/", 20.0, hop)));
    let j = judge("sec.headers", &ev);
    assert!(
        j.explanation
            .contains("headers of the redirect itself: it redirects to https://elsewhere.example/"),
        "{}",
        j.explanation
    );
}

#[test]
fn health_dependencies_and_detail() {
    let body = |checks| json!({"status": "ok", "version": "1.4.2", "checks": checks});
    let h = |b| {
        with_health(vec![probe(
            "https://a/health",
            10.0,
            response(200, &[], Some(b)),
        )])
    };
    let all_ok = h(body(json!({"db": "ok", "redis": {"status": "up"}})));
    assert_eq!(
        judge("infra.health_dependencies", &all_ok).outcome,
        Outcome::Pass
    );
    assert_eq!(judge("obs.health_detail", &all_ok).outcome, Outcome::Pass);
    let degraded = h(body(
        json!([{"name": "db", "status": "ok"}, {"name": "llm", "status": "degraded"}]),
    ));
    let j = judge("infra.health_dependencies", &degraded);
    assert_eq!(j.outcome, Outcome::Partial);
    assert!(j.explanation.contains("llm"));
    let down = h(body(json!({"db": {"healthy": false}})));
    assert_eq!(
        judge("infra.health_dependencies", &down).outcome,
        Outcome::Fail
    );
    let bare = h(json!({"status": "ok"}));
    assert_eq!(
        judge("infra.health_dependencies", &bare).outcome,
        Outcome::Partial
    );
    assert_eq!(judge("obs.health_detail", &bare).outcome, Outcome::Fail);
    let version_only = h(json!({"status": "ok", "commit": "abc123"}));
    assert_eq!(
        judge("obs.health_detail", &version_only).outcome,
        Outcome::Partial
    );
}

/// A verified handshake of `version` with a certificate valid `days` more.
fn handshake(version: TlsVersion, days: i64) -> Gathered<TlsProbe> {
    Ok(TlsProbe {
        host: "app:443".into(),
        at: NOW,
        outcome: TlsOutcome::Handshake {
            version,
            not_after: NOW + Duration::days(days),
        },
    })
}

#[test]
fn tls_bands() {
    let mut ev = Evidence::empty("prod", NOW);
    let mut tls = |version: TlsVersion, days: i64| {
        ev.set(&TLS, handshake(version, days));
        judge("sec.tls", &ev).outcome
    };
    assert_eq!(tls(TlsVersion::Tls13, 60), Outcome::Pass);
    assert_eq!(tls(TlsVersion::Tls12, 60), Outcome::Partial);
    assert_eq!(tls(TlsVersion::Tls13, 7), Outcome::Partial);
    assert_eq!(tls(TlsVersion::Tls13, 0), Outcome::Fail);
    let mut ev = Evidence::empty("prod", NOW);
    ev.set(
        &TLS,
        Ok(TlsProbe {
            host: "app:80".into(),
            at: NOW,
            outcome: TlsOutcome::PlainHttp,
        }),
    );
    assert_eq!(judge("sec.tls", &ev).outcome, Outcome::Fail);
}

#[test]
fn security_headers_count_three_groups() {
    let mut ev = Evidence::empty("prod", NOW);
    let all = [
        ("Strict-Transport-Security", "max-age=63072000"),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
    ];
    ev.set(
        &BASE,
        Ok(probe("https://app", 10.0, response(200, &all, None))),
    );
    assert_eq!(judge("sec.headers", &ev).outcome, Outcome::Pass);
    ev.set(
        &BASE,
        Ok(probe("https://app", 10.0, response(200, &all[..2], None))),
    );
    let j = judge("sec.headers", &ev);
    assert_eq!(j.outcome, Outcome::Partial);
    assert!(j.explanation.contains("X-Frame-Options"));
    ev.set(
        &BASE,
        Ok(probe("https://app", 10.0, response(200, &[], None))),
    );
    assert_eq!(judge("sec.headers", &ev).outcome, Outcome::Fail);
}

#[test]
fn rate_limit_headers_accept_x_and_ietf_forms() {
    let mut ev = Evidence::empty("prod", NOW);
    let mut with = |headers: &[(&str, &str)]| {
        ev.set(
            &RATE_LIMIT,
            Ok(probe(
                "https://app/api/x",
                10.0,
                response(401, headers, None),
            )),
        );
        judge("sec.rate_limit_headers", &ev).outcome
    };
    assert_eq!(
        with(&[
            ("X-RateLimit-Limit", "100"),
            ("X-RateLimit-Remaining", "99")
        ]),
        Outcome::Pass
    );
    assert_eq!(
        with(&[
            ("RateLimit-Policy", "\"d\";q=100;w=60"),
            ("RateLimit", "\"d\";r=99;t=30")
        ]),
        Outcome::Pass
    );
    assert_eq!(with(&[("X-RateLimit-Limit", "100")]), Outcome::Partial);
    assert_eq!(with(&[]), Outcome::Fail);
}

#[test]
fn problem_json_shape() {
    let mut ev = Evidence::empty("prod", NOW);
    let mut with = |status, ct: &str, body| {
        ev.set(
            &ERROR_SHAPE,
            Ok(probe(
                "https://app/api/nope",
                10.0,
                response(status, &[("content-type", ct)], body),
            )),
        );
        judge("sec.problem_json", &ev).outcome
    };
    let problem = json!({"type": "about:blank", "title": "Not Found", "status": 404});
    assert_eq!(
        with(404, "application/problem+json", Some(problem)),
        Outcome::Pass
    );
    assert_eq!(
        with(404, "application/json", Some(json!({"error": "not found"}))),
        Outcome::Partial
    );
    assert_eq!(with(404, "text/html", None), Outcome::Fail);
    assert_eq!(
        with(200, "application/json", Some(json!({}))),
        Outcome::Fail
    );
}

#[test]
fn auth_must_be_enforced_on_every_protected_url() {
    let mut ev = Evidence::empty("prod", NOW);
    ev.set(
        &AUTH,
        Ok(vec![
            probe("https://app/api/a", 10.0, response(401, &[], None)),
            probe("https://app/api/b", 10.0, response(403, &[], None)),
        ]),
    );
    assert_eq!(judge("sec.auth_enforced", &ev).outcome, Outcome::Pass);
    ev.set(
        &AUTH,
        Ok(vec![
            probe("https://app/api/a", 10.0, response(401, &[], None)),
            probe("https://app/api/b", 10.0, response(200, &[], None)),
        ]),
    );
    let j = judge("sec.auth_enforced", &ev);
    assert_eq!(j.outcome, Outcome::Fail);
    assert!(j
        .explanation
        .contains("https://app/api/b answered HTTP 200"));
}

fn pg_stats(clients: u64, hit: u64, read: u64) -> crate::pools::ServerSample {
    crate::pools::ServerSample {
        source: "127.0.0.1:5432/app".into(),
        at: NOW,
        server_version: 150_000,
        max_connections: 103,
        reserved_connections: 3,
        states: crate::pools::StateCounts {
            active: clients / 2,
            idle: clients - clients / 2,
            ..Default::default()
        },
        groups: Vec::new(),
        backends: Vec::new(),
        blocks_hit: hit,
        blocks_read: read,
        xact_commit: 0,
        xact_rollback: 0,
    }
}

fn pooler(waiting: u64, maxwait_us: u64) -> crate::pools::PoolerSample {
    crate::pools::PoolerSample {
        source: "pgbouncer 127.0.0.1:6432".into(),
        at: NOW,
        pools: vec![crate::pools::PoolerPool {
            database: "app".into(),
            user: "app".into(),
            cl_active: 12,
            cl_waiting: waiting,
            sv_active: 4,
            maxwait_us,
            pool_mode: "transaction".into(),
            ..Default::default()
        }],
        databases: Vec::new(),
        counters: Vec::new(),
    }
}

fn app_pool(in_use: f64, waiting: Option<f64>) -> crate::pools::AppPoolSample {
    crate::pools::AppPoolSample {
        source: "https://app/metrics".into(),
        at: NOW,
        names: "demo".into(),
        in_use: Some(in_use),
        idle: Some(10.0 - in_use),
        waiting,
        max: Some(10.0),
    }
}

#[test]
fn a_pooler_passes_pooling_until_clients_wait() {
    let mut ev = pg(90, 1, 0);
    ev.set(&POOLER, Ok(pooler(0, 0)));
    let j = judge("infra.db_pooling", &ev);
    assert_eq!(j.outcome, Outcome::Pass, "{j:?}");
    assert_eq!(j.measured, "1 pool answering, 0 clients waiting");
    assert_eq!(j.source, "pgbouncer 127.0.0.1:6432");
    ev.set(&POOLER, Ok(pooler(3, 1_500_000)));
    let j = judge("infra.db_pooling", &ev);
    assert_eq!(j.outcome, Outcome::Fail);
    assert!(j.explanation.contains("longest 1.5 s"), "{}", j.explanation);
}

#[test]
fn the_app_s_pool_stands_in_for_a_pooler_and_says_why_the_pooler_was_not_read() {
    let mut ev = pg(90, 1, 0);
    ev.set(
        &POOLER,
        Err(Missing::Unavailable {
            source: "pgbouncer 10.0.0.5:6432".into(),
            reason: "connection refused".into(),
            at: NOW,
        }),
    );
    ev.set(&APP_POOL, Ok(app_pool(4.0, Some(0.0))));
    let j = judge("infra.db_pooling", &ev);
    assert_eq!(j.outcome, Outcome::Pass);
    assert!(
        j.explanation.contains("connection refused"),
        "{}",
        j.explanation
    );
    ev.set(&APP_POOL, Ok(app_pool(10.0, Some(7.0))));
    assert_eq!(judge("infra.db_pooling", &ev).outcome, Outcome::Fail);
    // Metrics without a waiting count say nothing about waiting: the
    // server's connections decide, as with no pooler.
    ev.set(&APP_POOL, Ok(app_pool(4.0, None)));
    let j = judge("infra.db_pooling", &ev);
    assert_eq!(j.outcome, Outcome::Fail, "90 % of usable: {j:?}");
    assert!(
        j.explanation.contains("connection refused"),
        "{}",
        j.explanation
    );
}

#[test]
fn pool_wait_bands_the_longest_wait() {
    let with = |p: crate::pools::PoolerSample| {
        let mut ev = Evidence::empty("prod", NOW);
        ev.set(&POOLER, Ok(p));
        judge("rel.pool_wait", &ev)
    };
    assert_eq!(with(pooler(0, 0)).outcome, Outcome::Pass);
    assert_eq!(
        with(pooler(2, 400_000)).outcome,
        Outcome::Partial,
        "someone waits"
    );
    assert_eq!(with(pooler(2, 4_900_000)).outcome, Outcome::Partial);
    let j = with(pooler(2, 5_000_000));
    assert_eq!(j.outcome, Outcome::Fail);
    assert_eq!(j.measured, "2 waiting at the pooler, longest 5.0 s");
    // The app's pool counts waiters but not their wait: partial at best.
    let mut ev = Evidence::empty("prod", NOW);
    ev.set(&APP_POOL, Ok(app_pool(10.0, Some(3.0))));
    assert_eq!(judge("rel.pool_wait", &ev).outcome, Outcome::Partial);
    ev.set(&APP_POOL, Ok(app_pool(3.0, Some(0.0))));
    assert_eq!(judge("rel.pool_wait", &ev).outcome, Outcome::Pass);
}

fn pg(clients: u64, hit: u64, read: u64) -> Evidence {
    let mut ev = Evidence::empty("prod", NOW);
    ev.set(&POSTGRES, Ok(pg_stats(clients, hit, read)));
    ev
}

#[test]
fn connection_headroom_uses_usable_connections() {
    assert_eq!(
        judge("infra.connection_headroom", &pg(69, 1, 0)).outcome,
        Outcome::Pass
    );
    let j = judge("infra.connection_headroom", &pg(70, 1, 0));
    assert_eq!(j.outcome, Outcome::Partial);
    assert!(j.measured.starts_with("70 of 100 usable"), "{}", j.measured);
    assert_eq!(
        judge("infra.connection_headroom", &pg(95, 1, 0)).outcome,
        Outcome::Fail
    );
    assert_eq!(
        judge("infra.db_pooling", &pg(10, 1, 0)).outcome,
        Outcome::Partial
    );
    assert_eq!(
        judge("infra.db_pooling", &pg(60, 1, 0)).outcome,
        Outcome::Fail
    );
}

#[test]
fn cache_hit_ratio() {
    assert_eq!(
        judge("perf.cache_hit", &pg(1, 9_990, 10)).outcome,
        Outcome::Pass
    );
    assert_eq!(
        judge("perf.cache_hit", &pg(1, 9_700, 300)).outcome,
        Outcome::Partial
    );
    assert_eq!(
        judge("perf.cache_hit", &pg(1, 9_000, 1_000)).outcome,
        Outcome::Fail
    );
    assert_eq!(
        judge("perf.cache_hit", &pg(1, 0, 0)).outcome,
        Outcome::Unknown
    );
}

#[test]
fn metrics_endpoint_outcomes() {
    let mut ev = Evidence::empty("prod", NOW);
    let mut with = |outcome| {
        ev.set(
            &METRICS,
            Ok(MetricsProbe {
                url: "https://app/metrics".into(),
                at: NOW,
                outcome,
            }),
        );
        judge("obs.metrics_endpoint", &ev).outcome
    };
    assert_eq!(with(MetricsOutcome::Parsed { families: 12 }), Outcome::Pass);
    assert_eq!(
        with(MetricsOutcome::Unparseable {
            detail: "line 1".into()
        }),
        Outcome::Partial
    );
    assert_eq!(
        with(MetricsOutcome::HttpStatus { status: 404 }),
        Outcome::Fail
    );
    assert_eq!(
        with(MetricsOutcome::TooLarge {
            limit_bytes: 16 * 1024 * 1024
        }),
        Outcome::Partial
    );
    assert_eq!(
        with(MetricsOutcome::Redirected {
            to: "http://other/metrics".into(),
            reason: "another host".into()
        }),
        Outcome::Fail
    );
}

#[test]
fn uptime_needs_enough_history() {
    let mut ev = Evidence::empty("prod", NOW);
    let mut with = |samples, healthy, hours| {
        ev.set(
            &UPTIME,
            Ok(UptimeHistory {
                samples,
                healthy,
                first_at: NOW - Duration::hours(hours),
                last_at: NOW,
            }),
        );
        judge("rel.uptime", &ev).outcome
    };
    assert_eq!(with(10, 10, 48), Outcome::Unknown);
    assert_eq!(with(500, 500, 2), Outcome::Unknown);
    assert_eq!(with(1_000, 1_000, 48), Outcome::Pass);
    assert_eq!(with(1_000, 995, 48), Outcome::Partial);
    assert_eq!(with(1_000, 900, 48), Outcome::Fail);
}

#[test]
fn checks_for_later_capabilities_are_unknown_and_say_what_they_need() {
    let ev = Evidence::empty("prod", NOW);
    assert!(judge("rel.upstream_absorbed", &ev)
        .explanation
        .contains("gen_ai.* attributes"));
    assert!(judge("rel.error_rate", &ev)
        .explanation
        .contains("deployment.environment.name"));
    assert!(judge("infra.rollback_ready", &ev)
        .explanation
        .contains("[environments.NAME.deploy]"));
    assert!(judge("rel.pool_wait", &ev)
        .explanation
        .contains("pgbouncer"));
}

/// Evidence under which every check that can be judged today lands on
/// `pass` or `partial` with the default thresholds.
fn judgeable_evidence() -> Evidence {
    let mut ev = with_health(vec![probe(
        "https://a/health",
        800.0,
        response(
            200,
            &[],
            Some(json!({"version": "1", "checks": {"db": "ok"}})),
        ),
    )]);
    ev.set(&TLS, handshake(TlsVersion::Tls13, 30));
    ev.set(&POSTGRES, Ok(pg_stats(30, 9_950, 50)));
    ev.set(
        &UPTIME,
        Ok(UptimeHistory {
            samples: 2_000,
            healthy: 1_999,
            first_at: NOW - Duration::hours(48),
            last_at: NOW,
        }),
    );
    ev.set(&SPANS, Ok(span_window()));
    ev.set(&UPSTREAM_CALLS, Ok(upstream_window(200, 199, 150)));
    ev.set(
        &crate::deploys::evidence::ROLLBACK_AUDIT,
        Ok(crate::deploys::evidence::RollbackDrills {
            last: Some((NOW - Duration::days(3), "rollback")),
            at: NOW,
        }),
    );
    ev
}

fn upstream_window(failed: u64, absorbed: u64, retries: u64) -> UpstreamWindow {
    UpstreamWindow {
        source: "span store".into(),
        measured_at: NOW,
        window_hours: 24.0,
        attempts: 4_000,
        traces_examined: failed,
        truncated: false,
        absorption: Absorption {
            failed_attempts: failed,
            absorbed,
            retries,
            calls_given_up: failed - absorbed,
        },
    }
}

#[test]
fn upstream_absorption_needs_the_share_and_a_retry() {
    let with = |w: UpstreamWindow| {
        let mut ev = Evidence::empty("prod", NOW);
        ev.set(&UPSTREAM_CALLS, Ok(w));
        ev
    };
    let check = |w| judge("rel.upstream_absorbed", &with(w));
    let good = check(upstream_window(200, 199, 150));
    assert_eq!(good.outcome, Outcome::Pass, "{good:?}");
    assert!(
        good.measured
            .starts_with("99.5 % (199 of 200 failed upstream attempts"),
        "{}",
        good.measured
    );
    // Every failure absorbed, but nothing ever retried: partial at best.
    let unretried = check(upstream_window(10, 10, 0));
    assert_eq!(unretried.outcome, Outcome::Partial);
    assert!(unretried.explanation.contains("no attempt was retried"));
    assert_eq!(
        check(upstream_window(100, 95, 50)).outcome,
        Outcome::Partial
    );
    let bad = check(upstream_window(100, 60, 50));
    assert_eq!(bad.outcome, Outcome::Fail);
    assert!(bad.explanation.contains("Only 60 %"), "{}", bad.explanation);
    // No failure to judge, and no calls at all: unknown, each saying why.
    let calm = check(upstream_window(0, 0, 0));
    assert_eq!(calm.outcome, Outcome::Unknown);
    assert!(
        calm.explanation.contains("No upstream call failed"),
        "{calm:?}"
    );
    let none = check(UpstreamWindow {
        attempts: 0,
        ..upstream_window(0, 0, 0)
    });
    assert!(none.explanation.contains("No upstream calls"), "{none:?}");
}

/// A busy, healthy day of spans: every trace check passes or is partial.
fn span_window() -> SpanWindow {
    SpanWindow {
        source: "span store".into(),
        measured_at: NOW,
        window_hours: 24.0,
        last_span_at: Some(NOW - Duration::minutes(1)),
        spans: 10_000,
        orphans: 5,
        server_spans: 2_000,
        root_requests: 1_000,
        root_failed: 1,
        error_spans: 10,
        error_spans_with_detail: 10,
        api_p95_ms: Some(150.0),
        db_p95_ms: Some(20.0),
        db_spans: 3_000,
    }
}

#[test]
fn trace_checks_judge_the_window_and_say_why_when_it_is_empty() {
    let with = |w: SpanWindow| {
        let mut ev = Evidence::empty("prod", NOW);
        ev.set(&SPANS, Ok(w));
        ev
    };
    let ev = with(span_window());
    for (id, want, measured) in [
        ("obs.traces_flowing", Outcome::Pass, "last span 1 min ago"),
        (
            "obs.trace_integrity",
            Outcome::Pass,
            "0.05 % orphans (5 of 10000 spans, last 24 h)",
        ),
        (
            "obs.error_detail",
            Outcome::Pass,
            "100 % (10 of 10 ERROR spans",
        ),
        (
            "rel.error_rate",
            Outcome::Partial,
            "0.1 % (1 of 1000 requests failed, last 24 h)",
        ),
        (
            "perf.api_p95",
            Outcome::Pass,
            "p95 150 ms over 2000 server spans",
        ),
        (
            "perf.db_p95",
            Outcome::Pass,
            "p95 20 ms over 3000 database spans",
        ),
        (
            "infra.perf_baseline",
            Outcome::Pass,
            "2000 server spans, last 24 h",
        ),
    ] {
        let j = judge(id, &ev);
        assert_eq!(j.outcome, want, "{id}: {j:?}");
        assert!(j.measured.starts_with(measured), "{id}: {}", j.measured);
        assert_eq!(j.source, "span store");
        assert_eq!(j.measured_at, Some(NOW));
    }
    // A failing day.
    let bad = with(SpanWindow {
        last_span_at: Some(NOW - Duration::hours(30)),
        orphans: 800,
        root_failed: 50,
        error_spans_with_detail: 2,
        api_p95_ms: Some(900.0),
        db_p95_ms: Some(75.0),
        server_spans: 50,
        ..span_window()
    });
    for (id, want) in [
        ("obs.traces_flowing", Outcome::Fail),
        ("obs.trace_integrity", Outcome::Fail),
        ("obs.error_detail", Outcome::Fail),
        ("rel.error_rate", Outcome::Fail),
        ("perf.api_p95", Outcome::Fail),
        ("perf.db_p95", Outcome::Partial),
        ("infra.perf_baseline", Outcome::Fail),
    ] {
        let j = judge(id, &bad);
        assert_eq!(j.outcome, want, "{id}: {j:?}");
        if want == Outcome::Fail {
            assert!(j.explanation.contains("target"), "{id}: {}", j.explanation);
        }
    }
    // An environment that has sent nothing: unknown, saying what to do.
    let empty = with(SpanWindow {
        last_span_at: None,
        spans: 0,
        orphans: 0,
        server_spans: 0,
        root_requests: 0,
        root_failed: 0,
        error_spans: 0,
        error_spans_with_detail: 0,
        api_p95_ms: None,
        db_p95_ms: None,
        db_spans: 0,
        ..span_window()
    });
    let flowing = judge("obs.traces_flowing", &empty);
    assert_eq!(flowing.outcome, Outcome::Unknown);
    assert!(
        flowing.explanation.contains("deployment.environment.name"),
        "{}",
        flowing.explanation
    );
    for id in [
        "obs.trace_integrity",
        "obs.error_detail",
        "rel.error_rate",
        "perf.api_p95",
        "perf.db_p95",
    ] {
        let j = judge(id, &empty);
        assert_eq!(j.outcome, Outcome::Unknown, "{id}: {j:?}");
        assert!(
            j.explanation.contains("last 24 h"),
            "{id}: {}",
            j.explanation
        );
    }
    assert_eq!(
        judge("infra.perf_baseline", &empty).outcome,
        Outcome::Unknown
    );
    // Spans once, none lately: no baseline is a finding, not a gap.
    let quiet = with(SpanWindow {
        last_span_at: Some(NOW - Duration::days(3)),
        server_spans: 0,
        ..span_window()
    });
    assert_eq!(judge("infra.perf_baseline", &quiet).outcome, Outcome::Fail);
}

#[test]
fn every_check_honours_the_thresholds_its_rubric_sets() {
    let mut judged = Vec::new();
    for def in Rubric::default_rubric()
        .categories
        .into_iter()
        .flat_map(|c| c.checks)
    {
        let Some(t) = def.thresholds() else { continue };
        let mut ev = judgeable_evidence();
        // Wait thresholds apply to a wait: nobody waiting passes whatever
        // they are. (The same pooler would fail db_pooling, which judges
        // the server's connections against its thresholds.)
        if def.kind == "pool_wait" {
            ev.set(&POOLER, Ok(pooler(1, 400_000)));
        }
        let usual = evaluate(&def, &ev);
        let kind = kind(&def.kind).expect("known kind");
        if kind.judge.is_none() {
            assert_eq!(usual.outcome, Outcome::Unknown, "{}", def.id);
            continue;
        }
        assert!(
            matches!(usual.outcome, Outcome::Pass | Outcome::Partial),
            "{}: {usual:?}",
            def.id
        );
        // Thresholds nothing can meet: the same evidence must now fail.
        let unreachable = match t.better {
            Better::Lower => 1e-9,
            Better::Higher => 1e12,
        };
        let strict = CheckDef {
            pass: Some(unreachable),
            partial: Some(unreachable),
            ..def.clone()
        };
        let j = evaluate(&strict, &ev);
        assert_eq!(j.outcome, Outcome::Fail, "{}: {j:?}", def.id);
        assert_ne!(
            j.threshold, usual.threshold,
            "{}: the threshold shown is the rubric's",
            def.id
        );
        judged.push(def.kind.clone());
    }
    let with_thresholds_and_judge: Vec<&str> = kinds()
        .filter(|k| k.thresholds.is_some() && k.judge.is_some())
        .map(|k| k.name)
        .collect();
    for name in with_thresholds_and_judge {
        assert!(
            judged.iter().any(|j| j == name),
            "kind {name} was not exercised"
        );
    }
}

#[test]
fn kinds_and_inputs_are_declared_once() {
    let mut names: Vec<&str> = kinds().map(|k| k.name).collect();
    let count = names.len();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), count, "duplicate check kind names");
    let inputs: Vec<InputId> = kinds().flat_map(|k| k.reads.iter().copied()).collect();
    for a in &inputs {
        for b in &inputs {
            assert!(
                a.key != b.key || a == b,
                "input key {} declared twice",
                a.key
            );
        }
    }
    for kind in kinds() {
        assert!(!kind.reads.is_empty(), "{} reads nothing", kind.name);
    }
}

#[test]
fn explanations_end_in_one_mark_of_punctuation() {
    assert_eq!(super::sentence("is it running?"), "is it running?");
    assert_eq!(super::sentence("refused"), "refused.");
    assert_eq!(super::sentence("done. "), "done.");
}

#[test]
fn rollback_ready_passes_with_a_target_and_says_why_not_otherwise() {
    use crate::deploys::evidence::{RollbackReadiness, DEPLOYS};
    let with = |problem: Option<&str>, target: Option<&str>| {
        let mut ev = Evidence::empty("prod", NOW);
        ev.set(
            &DEPLOYS,
            Ok(RollbackReadiness {
                provider: "vercel".into(),
                at: NOW,
                problem: problem.map(str::to_string),
                target: target.map(str::to_string),
                no_target: Some("dpl_1 is the oldest deployment the provider listed".into()),
            }),
        );
        judge("infra.rollback_ready", &ev)
    };
    assert_eq!(with(None, Some("dpl_2 → dpl_1")).outcome, Outcome::Pass);
    let partial = with(None, None);
    assert_eq!(partial.outcome, Outcome::Partial);
    assert!(
        partial.explanation.contains("oldest"),
        "{}",
        partial.explanation
    );
    let fail = with(Some("the provider refused the token (HTTP 401)"), None);
    assert_eq!(fail.outcome, Outcome::Fail);
    assert!(
        fail.explanation.contains("HTTP 401"),
        "{}",
        fail.explanation
    );
}

#[test]
fn rollback_drill_bands_the_days_since_the_last_rehearsal() {
    use crate::deploys::evidence::{RollbackDrills, ROLLBACK_AUDIT};
    let with = |days: Option<i64>| {
        let mut ev = Evidence::empty("prod", NOW);
        ev.set(
            &ROLLBACK_AUDIT,
            Ok(RollbackDrills {
                last: days.map(|d| (NOW - time::Duration::days(d), "verified dry run")),
                at: NOW,
            }),
        );
        judge("rel.rollback_drill", &ev)
    };
    assert_eq!(with(Some(3)).outcome, Outcome::Pass);
    assert_eq!(with(Some(45)).outcome, Outcome::Partial);
    assert_eq!(with(Some(120)).outcome, Outcome::Fail);
    let never = with(None);
    assert_eq!(never.outcome, Outcome::Fail);
    assert!(
        never.explanation.contains("--dry-run"),
        "{}",
        never.explanation
    );
}
