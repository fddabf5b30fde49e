use time::macros::datetime;
use time::OffsetDateTime;

use super::*;
use crate::scorecard::{CategoryResult, CheckResult, Grade, Outcome, Scorecard};

/// A scorecard of `(category, id, points, earned, outcome)` checks.
fn card(at: OffsetDateTime, checks: &[(&str, &str, f64, f64, Outcome)]) -> Scorecard {
    let mut categories: Vec<CategoryResult> = Vec::new();
    for (cat, id, points, earned, outcome) in checks {
        let check = CheckResult {
            id: (*id).into(),
            name: format!("Check {id}"),
            kind: "test".into(),
            points: *points,
            earned: *earned,
            outcome: *outcome,
            measured: format!("{id} measured <{earned}>"),
            threshold: String::new(),
            source: format!("source-of-{id}"),
            measured_at: Some(at),
            explanation: format!("fix {id} | <b>now</b>"),
        };
        match categories.iter_mut().find(|c| c.id == *cat) {
            Some(c) => c.checks.push(check),
            None => categories.push(CategoryResult {
                id: (*cat).into(),
                name: format!("Category {cat}"),
                weight: 50.0,
                score: 0.0,
                checks: vec![check],
            }),
        }
    }
    let total: f64 = checks.iter().map(|c| c.2).sum();
    let earned: f64 = checks.iter().map(|c| c.3).sum();
    let score = earned / total * 100.0;
    Scorecard {
        environment: "prod".into(),
        score,
        grade: Grade::for_score(score),
        coverage: 90.0,
        measured_at: at,
        categories,
    }
}

const T0: OffsetDateTime = datetime!(2026-11-30 09:00 UTC);
const T1: OffsetDateTime = datetime!(2026-12-07 09:00 UTC);

fn runs() -> (Run, Run) {
    use Outcome::*;
    let start = card(
        T0,
        &[
            ("infra", "a", 40.0, 40.0, Pass),
            ("infra", "b", 10.0, 10.0, Pass),
            ("rel", "c", 20.0, 0.0, Fail),
            ("rel", "d", 30.0, 30.0, Pass),
        ],
    );
    let now = card(
        T1,
        &[
            ("infra", "a", 40.0, 40.0, Pass),
            ("infra", "b", 10.0, 0.0, Fail),
            ("rel", "c", 20.0, 10.0, Partial),
            ("rel", "d", 30.0, 0.0, Unknown),
        ],
    );
    (Run { id: 3, card: start }, Run { id: 9, card: now })
}

#[test]
fn the_path_to_the_next_grade_ranks_recoverable_points_and_counts_the_steps() {
    let (_, now) = runs();
    assert_eq!(now.card.score, 50.0);
    let ng = path_to_next_grade(&now);
    assert_eq!(ng.current, Grade::D);
    assert_eq!(ng.next, Some(Grade::C));
    assert_eq!(ng.needs_score, Some(70.0));
    let order: Vec<(&str, f64, f64)> = ng
        .steps
        .iter()
        .map(|s| (s.id.as_str(), s.recoverable, s.score_after))
        .collect();
    assert_eq!(
        order,
        [("d", 30.0, 80.0), ("b", 10.0, 90.0), ("c", 10.0, 100.0)]
    );
    assert_eq!(ng.steps_needed, Some(1), "d alone reaches 70");
    assert_eq!(ng.steps[0].what_to_do, "fix d | <b>now</b>");
    assert_eq!(ng.steps[0].provenance.run, 9);
    assert_eq!(ng.steps[0].provenance.check.as_deref(), Some("d"));
    assert_eq!(
        ng.steps[0].provenance.source.as_deref(),
        Some("source-of-d")
    );
}

#[test]
fn an_a_has_no_next_grade_and_a_gap_too_big_is_said() {
    use Outcome::*;
    let top = Run {
        id: 1,
        card: card(T1, &[("infra", "a", 100.0, 100.0, Pass)]),
    };
    let ng = path_to_next_grade(&top);
    assert_eq!((ng.next, ng.steps_needed, ng.steps.len()), (None, None, 0));
    // 10 of 100 and only 20 recoverable: D (50) is out of reach.
    let low = Run {
        id: 2,
        card: card(
            T1,
            &[
                ("infra", "a", 80.0, 10.0, Partial),
                ("infra", "b", 20.0, 0.0, Unknown),
            ],
        ),
    };
    let ng = path_to_next_grade(&low);
    assert_eq!(ng.next, Some(Grade::D));
    assert_eq!(ng.steps_needed, Some(1), "a's 70 points reach 80");
}

#[test]
fn the_review_says_what_moved_per_category_with_the_runs_it_came_from() {
    let (start, now) = runs();
    let trend = vec![
        TrendPoint {
            run: 3,
            at: T0,
            score: 80.0,
        },
        TrendPoint {
            run: 9,
            at: T1,
            score: 50.0,
        },
    ];
    let r = weekly("prod", T0, T1, &start, &now, trend, Stored::default());
    assert_eq!((r.start.score, r.now.score), (80.0, 50.0));
    assert_eq!(r.start.provenance.run, 3);
    assert_eq!(r.now.provenance.run, 9);
    let infra = &r.categories[0];
    assert_eq!(
        (infra.earned_before, infra.earned_now, infra.delta),
        (50.0, 40.0, -10.0)
    );
    assert_eq!(infra.moved.len(), 1, "a did not move");
    assert_eq!(infra.moved[0].id, "b");
    assert_eq!(infra.moved[0].points_delta, -10.0);
    let rel = &r.categories[1];
    let moved: Vec<(&str, f64)> = rel
        .moved
        .iter()
        .map(|m| (m.id.as_str(), m.points_delta))
        .collect();
    assert_eq!(moved, [("d", -30.0), ("c", 10.0)], "largest swing first");
    assert_eq!(rel.moved[1].before, Some(Outcome::Fail));
    assert_eq!(rel.moved[1].after, Some(Outcome::Partial));
    assert_eq!(
        rel.moved[1].provenance_before.as_ref().map(|p| p.run),
        Some(3)
    );
    let sum: f64 = r.categories.iter().map(|c| c.delta).sum();
    assert_eq!(
        sum,
        r.now.score - r.start.score,
        "the categories add up to the score's change (total 100)"
    );
}

fn ids_and_links(html: &str) -> (Vec<String>, Vec<String>) {
    let grab = |marker: &str| -> Vec<String> {
        html.match_indices(marker)
            .map(|(i, _)| {
                let rest = &html[i + marker.len()..];
                rest[..rest.find('"').unwrap_or(0)].to_string()
            })
            .collect()
    };
    (grab(" id=\""), grab("href=\"#"))
}

#[test]
fn every_number_in_the_html_links_to_a_provenance_entry_that_exists() {
    let (start, now) = runs();
    let r = weekly(
        "prod",
        T0,
        T1,
        &start,
        &now,
        vec![TrendPoint {
            run: 9,
            at: T1,
            score: 50.0,
        }],
        Stored::default(),
    );
    let page = html::render(
        &r,
        &html::Embedded {
            trend_svg: "<svg></svg>",
            font_base64: "AAAA",
            generated_at: T1,
        },
    );
    assert!(page.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "no network fetch"
    );
    let (ids, links) = ids_and_links(&page);
    assert!(links.len() >= 20, "{} links", links.len());
    for link in &links {
        assert!(ids.contains(link), "#{link} has no entry");
    }
    assert!(ids.contains(&"p-9-d".to_string()), "{ids:?}");
    // Text from production is escaped, never markup.
    assert!(!page.contains("<b>now</b>") && page.contains("fix d | &lt;b&gt;now&lt;/b&gt;"));
    assert!(page.contains("measured &lt;0&gt;"));
    // The score row links to the two runs.
    let row = &page[page.find("<tr data-row=\"score\">").expect("score row")..];
    let row = &row[..row.find("</tr>").expect("row end")];
    assert!(
        row.contains("href=\"#p-3\"")
            && row.contains(">80.0<")
            && row.contains("href=\"#p-9\"")
            && row.contains(">50.0<"),
        "{row}"
    );
}

#[test]
fn the_markdown_has_the_same_numbers_and_resolvable_anchors() {
    let (start, now) = runs();
    let r = weekly("prod", T0, T1, &start, &now, Vec::new(), Stored::default());
    let md = markdown::render(&r, T1);
    assert!(
        md.contains("| Score | [80.0](#p-3) | [50.0](#p-9) | -30.0 |"),
        "{md}"
    );
    assert!(
        md.contains("fix d \\| <b>now</b>"),
        "a | in a cell is escaped"
    );
    for (i, _) in md.match_indices("](#") {
        let rest = &md[i + 3..];
        let anchor = &rest[..rest.find(')').expect("close")];
        assert!(
            md.contains(&format!("<a id=\"{anchor}\"></a>")),
            "#{anchor} has no entry"
        );
    }
}

fn entry(
    seq: i64,
    id: &str,
    at: OffsetDateTime,
    env: &str,
    phase: crate::audit::Phase,
    intent: Option<&str>,
) -> crate::audit::Entry {
    use crate::audit::{ActionResult, Entry, NewEntry, Phase};
    Entry {
        seq,
        entry: NewEntry {
            id: id.into(),
            at,
            environment: env.into(),
            operator: "ana@laptop".into(),
            action: "rollback".into(),
            phase,
            intent: intent.map(String::from),
            target: "dpl_7b4".into(),
            reason: "bad <release>".into(),
            result: (phase == Phase::Outcome).then_some(ActionResult::Done),
            detail: String::new(),
            deploy: None,
        },
        prev_hash: String::new(),
        hash: format!("{seq:0>64}"),
    }
}

fn quota_day(
    day: time::Date,
    id: &str,
    throttled: i64,
) -> (time::Date, crate::quota::WorkspaceDay) {
    (
        day,
        crate::quota::WorkspaceDay {
            workspace_id: id.into(),
            workspace_name: format!("Name of {id}"),
            tier: "free".into(),
            throttled,
            worst_share: None,
            ai_cost: None,
        },
    )
}

#[test]
fn actions_pair_each_intent_with_its_outcome_and_throttled_workspaces_add_up_their_days() {
    use crate::audit::Phase;
    let mid = T0 + time::Duration::days(3);
    let log = vec![
        entry(
            1,
            "old",
            T0 - time::Duration::days(1),
            "prod",
            Phase::Intent,
            None,
        ),
        entry(2, "i1", mid, "prod", Phase::Intent, None),
        entry(3, "o1", mid, "prod", Phase::Outcome, Some("i1")),
        entry(4, "other", mid, "staging", Phase::Intent, None),
        entry(
            5,
            "i2",
            mid + time::Duration::hours(1),
            "prod",
            Phase::Intent,
            None,
        ),
    ];
    let lines = sections::actions(&log, "prod", T0, T1);
    let got: Vec<(i64, &str)> = lines.iter().map(|l| (l.seq, l.result.as_str())).collect();
    assert_eq!(
        got,
        [(2, "done"), (5, "outcome unknown")],
        "the period's and the environment's only"
    );
    assert_eq!(lines[0].provenance.anchor, "a-2");
    assert!(
        lines[0].provenance.what.contains("audit entry #2")
            && lines[0].provenance.what.contains("#3"),
        "{}",
        lines[0].provenance.what
    );

    let d = |n: i64| (T0 + time::Duration::days(n)).date();
    let days = vec![
        quota_day(d(1), "ws_b", 5),
        quota_day(d(2), "ws_a", 40),
        quota_day(d(3), "ws_b", 50),
        quota_day(d(3), "ws_c", 0),
    ];
    let most = sections::throttled_most(&days, 10);
    let got: Vec<(&str, i64, u32, i64)> = most
        .iter()
        .map(|t| {
            (
                t.workspace_id.as_str(),
                t.throttled,
                t.days,
                t.worst_day_throttled,
            )
        })
        .collect();
    assert_eq!(
        got,
        [("ws_b", 55, 2, 50), ("ws_a", 40, 1, 40)],
        "ws_c was never throttled"
    );
    assert_eq!(most[0].worst_day, d(3));
    assert!(most[0].provenance.what.contains("2 daily row(s) of ws_b"));

    // Rendered, every number of these sections resolves too.
    let (start, now) = runs();
    let route = |route: &str, requests: u64, errors: u64| crate::traces::RouteStats {
        service: "api".into(),
        route: route.into(),
        requests,
        errors,
        error_ratio: errors as f64 / requests as f64,
        requests_per_second: None,
        p50_ms: 12.0,
        p95_ms: 250.5,
        p99_ms: 900.0,
    };
    let routes = vec![route("/api/a", 10, 1), route("/api/<b>", 400, 0)];
    let stretch = |from_s: f64, to_s: f64| crate::pools::saturated::SaturatedStretch {
        from: from_s * 1000.0,
        to: to_s * 1000.0,
        why: vec!["clients waiting at the pooler".into()],
    };
    let pools = crate::pools::series::PoolSeries {
        saturated: vec![
            stretch(1_764_000_000.0, 1_764_000_030.0),
            stretch(1_764_000_100.0, 1_764_000_190.5),
        ],
        ..Default::default()
    };
    let r = weekly(
        "prod",
        T0,
        T1,
        &start,
        &now,
        Vec::new(),
        Stored {
            audit: &log,
            quota_days: &days,
            routes: &routes,
            pools: Some(&pools),
        },
    );
    let got: Vec<(&str, u64, f64)> = r
        .routes
        .iter()
        .map(|x| (x.stats.route.as_str(), x.stats.requests, x.error_percent))
        .collect();
    assert_eq!(
        got,
        [("/api/<b>", 400, 0.0), ("/api/a", 10, 10.0)],
        "busiest first"
    );
    let page = html::render(
        &r,
        &html::Embedded {
            trend_svg: "<svg></svg>",
            font_base64: "",
            generated_at: T1,
        },
    );
    let (ids, links) = ids_and_links(&page);
    assert!(
        page.contains("<td>/api/&lt;b&gt; <span"),
        "a route is text, not markup"
    );
    for anchor in [
        "a-2",
        "a-5",
        "q-ws-b",
        "q-ws-a",
        "r-api--api-a",
        "r-api--api--b-",
    ] {
        assert!(
            links.iter().any(|l| l == anchor) && ids.iter().any(|i| i == anchor),
            "{anchor}"
        );
    }
    for link in &links {
        assert!(ids.contains(link), "#{link} has no entry");
    }
    assert!(page.contains("bad &lt;release&gt;"));
    let md = markdown::render(&r, T1);
    assert!(
        md.contains("[55](#q-ws-b)") && md.contains("<a id=\"q-ws-b\"></a>"),
        "{md}"
    );
}
