//! `readyroom report` on a store filled with a known history: the period's
//! first and last runs are the review's start and now (a run older than
//! the period is left out), the numbers in the HTML and the Markdown are
//! the store's, every link resolves to a provenance entry naming the run,
//! check, source and time, and the page fetches nothing.

use readyroom_core::scorecard::{CategoryResult, CheckResult, Grade, Outcome, Scorecard};
use readyroom_store::Store;
use readyroom_tests::TestEnv;
use time::{Duration, OffsetDateTime};

/// A scorecard whose `sec.tls` check earns `tls` of 40 points and whose
/// `rel.uptime` check earns `uptime` of 60, at `at`.
fn card(at: OffsetDateTime, tls: f64, uptime: f64) -> Scorecard {
    let check = |id: &str, points: f64, earned: f64| CheckResult {
        id: id.into(),
        name: format!("The {id} check"),
        kind: "test".into(),
        points,
        earned,
        outcome: if earned == points {
            Outcome::Pass
        } else if earned > 0.0 {
            Outcome::Partial
        } else {
            Outcome::Fail
        },
        measured: format!("{earned} of {points}"),
        threshold: String::new(),
        source: format!("{id}.example.test"),
        measured_at: Some(at - Duration::seconds(2)),
        explanation: format!("Make {id} pass <now>"),
    };
    let score = tls + uptime;
    Scorecard {
        environment: "prod".into(),
        score,
        grade: Grade::for_score(score),
        coverage: 100.0,
        measured_at: at,
        categories: vec![
            CategoryResult {
                id: "security".into(),
                name: "Security".into(),
                weight: 40.0,
                score: tls / 40.0 * 100.0,
                checks: vec![check("sec.tls", 40.0, tls)],
            },
            CategoryResult {
                id: "reliability".into(),
                name: "Reliability".into(),
                weight: 60.0,
                score: uptime / 60.0 * 100.0,
                checks: vec![check("rel.uptime", 60.0, uptime)],
            },
        ],
    }
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

#[tokio::test]
async fn the_review_reads_the_periods_runs_and_every_number_has_its_provenance() {
    let env = TestEnv::new();
    let config = env.config("[environments.prod]\nbase_url = \"https://app.example.test/\"\n");
    let store = Store::open(&env.data_dir().join("readyroom.db"))
        .await
        .expect("store");
    let now = OffsetDateTime::now_utc();
    // Outside the period: never the start.
    store
        .save_run(&card(now - Duration::days(9), 0.0, 0.0), None)
        .await
        .expect("old run");
    let mut ids = Vec::new();
    for (days_ago, tls, uptime) in [
        (6, 40.0, 30.0),
        (4, 40.0, 60.0),
        (2, 20.0, 60.0),
        (0, 0.0, 60.0),
    ] {
        let at = now - Duration::days(days_ago) - Duration::minutes(1);
        ids.push(
            store
                .save_run(&card(at, tls, uptime), None)
                .await
                .expect("run"),
        );
    }
    // A rollback in the period, and one on another environment.
    for (id, env) in [("r1", "prod"), ("r2", "staging")] {
        store
            .append_audit(&readyroom_core::audit::NewEntry {
                id: id.into(),
                at: now - Duration::days(3),
                environment: env.into(),
                operator: "ana@laptop".into(),
                action: "rollback".into(),
                phase: readyroom_core::audit::Phase::Intent,
                intent: None,
                target: "dpl_7b4".into(),
                reason: "2.15.0 fails checkout".into(),
                result: None,
                detail: String::new(),
                deploy: None,
            })
            .await
            .expect("audit");
    }
    store.close().await;
    let (first, last) = (ids[0], ids[3]);

    let out = env.path("out");
    let config = config.to_str().expect("utf8");
    let run = env
        .run(&[
            "--config",
            config,
            "report",
            "--env",
            "prod",
            "--since",
            "7d",
            "--out",
            out.to_str().expect("utf8"),
            "--format",
            "json",
        ])
        .await;
    assert_eq!(run.code, 0, "{}", run.all_output());
    let json = run.json();
    let report = &json["report"];
    assert_eq!(
        report["runs"], 4,
        "the run 9 days old is outside the period"
    );
    assert_eq!(report["start"]["score"], 70.0);
    assert_eq!(report["start"]["provenance"]["run"], first);
    assert_eq!(report["now"]["score"], 60.0);
    assert_eq!(report["now"]["grade"], "D");
    assert_eq!(report["now"]["provenance"]["run"], last);
    let security = &report["categories"][0];
    assert_eq!(
        (
            security["earnedBefore"].as_f64(),
            security["earnedNow"].as_f64()
        ),
        (Some(40.0), Some(0.0))
    );
    assert_eq!(security["moved"][0]["id"], "sec.tls");
    assert_eq!(security["moved"][0]["pointsDelta"], -40.0);
    // Passing sec.tls (40 points) takes 60 to 100: the next grade, C at
    // 70, is one step away.
    let next = &report["nextGrade"];
    assert_eq!(
        (next["next"].as_str(), next["stepsNeeded"].as_u64()),
        (Some("C"), Some(1))
    );
    assert_eq!(next["steps"][0]["id"], "sec.tls");
    assert_eq!(next["steps"][0]["recoverable"], 40.0);

    let actions = report["actions"].as_array().expect("actions");
    assert_eq!(actions.len(), 1, "prod's only: {actions:?}");
    assert_eq!(actions[0]["seq"], 1);
    assert_eq!(
        actions[0]["result"], "outcome unknown",
        "an intent without its outcome"
    );
    assert_eq!(actions[0]["reason"], "2.15.0 fails checkout");

    let html = std::fs::read_to_string(json["html"].as_str().expect("html path")).expect("html");
    assert!(
        html.contains("<tr data-action=\"1\">")
            && html.contains("href=\"#a-1\"")
            && html.contains("<tr id=\"a-1\">")
    );
    let markdown =
        std::fs::read_to_string(json["markdown"].as_str().expect("md path")).expect("md");
    // The score row: the store's first and last runs of the period.
    let row = &html[html.find("<tr data-row=\"score\">").expect("score row")..];
    let row = &row[..row.find("</tr>").expect("row end")];
    assert!(
        row.contains(&format!("href=\"#p-{first}\""))
            && row.contains(">70.0</a>")
            && row.contains(&format!("href=\"#p-{last}\""))
            && row.contains(">60.0</a>")
            && row.contains(">-10.0<"),
        "{row}"
    );
    assert!(
        markdown.contains(&format!(
            "| Score | [70.0](#p-{first}) | [60.0](#p-{last}) | -10.0 |"
        )),
        "{markdown}"
    );
    // Every run of the period is listed with its score, linked to it.
    for (id, score) in ids.iter().zip(["70.0", "100.0", "80.0", "60.0"]) {
        assert!(html.contains(&format!("<td>#{id}</td>")), "run {id} listed");
        assert!(
            html.contains(&format!("href=\"#p-{id}\"")) && html.contains(&format!(">{score}</a>")),
            "run {id}'s score {score}"
        );
    }
    // Every link resolves; the check's entry names its run, source and time.
    let (anchors, links) = ids_and_links(&html);
    assert!(links.len() > 20, "{} links", links.len());
    for link in &links {
        assert!(anchors.contains(link), "#{link} has no provenance entry");
    }
    let entry = &html[html
        .find(&format!("<tr id=\"p-{last}-sec-tls\">"))
        .expect("the check's entry")..];
    let entry = &entry[..entry.find("</tr>").expect("end")];
    assert!(
        entry.contains(&format!("#{last} at "))
            && entry.contains("sec.tls.example.test")
            && entry.contains("<td>sec.tls</td>"),
        "{entry}"
    );
    // Self-contained: no fetch, the font embedded; production's text escaped.
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http") && !html.contains("url(http")
    );
    assert!(html.contains("url(data:font/ttf;base64,"));
    assert!(html.contains("Make sec.tls pass &lt;now&gt;") && !html.contains("pass <now>"));
}

#[tokio::test]
async fn a_review_without_runs_in_the_period_says_what_to_do() {
    let env = TestEnv::new();
    let config = env.config("[environments.prod]\nbase_url = \"https://app.example.test/\"\n");
    let out = env.path("out");
    let run = env
        .run(&[
            "--config",
            config.to_str().expect("utf8"),
            "report",
            "--out",
            out.to_str().expect("utf8"),
        ])
        .await;
    assert_eq!(run.code, 1, "{}", run.all_output());
    assert!(run.stderr.contains("no readable scorecard of prod in the last 7 day(s); run it first (`readyroom score --env prod`"), "{}", run.stderr);
    assert!(!out.exists(), "nothing written");
}
