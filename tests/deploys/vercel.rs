//! The Vercel provider against a contract server built from Vercel's
//! documented REST API (`vercel_contract`): the exact requests it sends,
//! paging, team scope, the token only in the header, the documented
//! errors each with its own meaning, and which answers are retried.

use std::time::Duration;

use readyroom_core::deploys::{DeployState, Deployment};
use readyroom_core::Sensitive;
use readyroom_sources::deploy::vercel::VercelDeployer;
use readyroom_sources::deploy::{Action, DeployError, Deployer, Move};

use super::vercel_contract::{Contract, PROJECT, TEAM, TOKEN};

fn deployer(addr: std::net::SocketAddr, token: &str) -> VercelDeployer {
    VercelDeployer {
        api: url::Url::parse(&format!("http://{addr}")).expect("url"),
        project_id: PROJECT.into(),
        team_id: Some(TEAM.into()),
        token: Sensitive::new(token.to_string()),
        http: readyroom_sources::http::client(
            &Default::default(),
            Duration::from_secs(5),
            readyroom_sources::http::Redirects::Keep,
        )
        .expect("client"),
    }
}

fn target(id: &str) -> Deployment {
    Deployment {
        id: id.into(),
        version: None,
        commit: None,
        message: None,
        author: None,
        created_at: time::OffsetDateTime::UNIX_EPOCH,
        state: DeployState::Ready,
        rollback_candidate: Some(true),
        url: None,
    }
}

fn action<'a>(kind: Move, to: &'a Deployment) -> Action<'a> {
    Action {
        kind,
        to: Some(to),
        named: None,
        from: None,
        reason: "2.15 saturates the pool",
        operator: "dana@ops-laptop",
        environment: "production",
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn vercel_contract_server_list_reads_the_project_and_pages_through_production_deployments() {
    let contract = Contract::new();
    let addr = contract.serve();
    let listing = deployer(addr, TOKEN).list().await.expect("listed");
    assert_eq!(listing.current.as_deref(), Some("dpl_11"));
    assert_eq!(listing.deployments.len(), 12, "every page read");
    assert!(!listing.truncated);
    assert!(listing.notes.is_empty(), "not pinned yet");
    let d3 = listing.get("dpl_3").expect("dpl_3");
    assert_eq!(d3.rollback_candidate, Some(false));
    assert_eq!(
        d3.message.as_deref(),
        Some("Change dpl_3"),
        "first line only"
    );
    assert_eq!(d3.author.as_deref(), Some("Dana Kim"));
    assert_eq!(
        d3.url.as_deref(),
        Some("https://readyroom-app-dpl_3.vercel.app")
    );
    assert_eq!(
        listing.get("dpl_9").expect("dpl_9").state,
        DeployState::Failed
    );
    assert_eq!(listing.deployments[0].id, "dpl_11", "newest first");

    let seen = contract.seen();
    // The project, then the deployments in pages of 20: one page here.
    let paths: Vec<(&str, &str)> = seen
        .iter()
        .map(|s| (s.method.as_str(), s.path.as_str()))
        .collect();
    assert!(
        paths.contains(&("GET", "/v9/projects/prj_readyroom")),
        "{paths:?}"
    );
    let lists: Vec<_> = seen
        .iter()
        .filter(|s| s.path == "/v6/deployments")
        .collect();
    assert_eq!(lists.len(), 1);
    assert_eq!(
        lists[0].query.get("projectId").map(String::as_str),
        Some(PROJECT)
    );
    assert_eq!(
        lists[0].query.get("target").map(String::as_str),
        Some("production")
    );
    assert_eq!(lists[0].query.get("limit").map(String::as_str), Some("20"));
    for s in &seen {
        assert_eq!(
            s.authorization.as_deref(),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        assert_eq!(
            s.query.get("teamId").map(String::as_str),
            Some(TEAM),
            "{s:?}"
        );
        assert!(
            !s.query.values().any(|v| v.contains(TOKEN)),
            "no token in a URL"
        );
        assert_eq!(s.body, "");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn vercel_contract_server_more_than_a_page_is_followed_by_until() {
    let contract = Contract::new();
    {
        let mut all = contract.deployments.lock().expect("lock");
        let more: Vec<_> = (12..45)
            .rev()
            .map(|i| {
                (
                    format!("dpl_{i}"),
                    format!("{i:040}"),
                    true,
                    "READY".to_string(),
                )
            })
            .collect();
        all.splice(0..0, more);
    }
    *contract.current.lock().expect("lock") = "dpl_44".into();
    let addr = contract.serve();
    let listing = deployer(addr, TOKEN).list().await.expect("listed");
    assert_eq!(listing.deployments.len(), 45);
    let untils: Vec<Option<String>> = contract
        .seen()
        .iter()
        .filter(|s| s.path == "/v6/deployments")
        .map(|s| s.query.get("until").cloned())
        .collect();
    assert_eq!(untils.len(), 3, "{untils:?}");
    assert_eq!(untils[0], None);
    assert!(untils[1].is_some() && untils[2].is_some() && untils[1] != untils[2]);
}

#[tokio::test(flavor = "multi_thread")]
async fn vercel_contract_server_rollback_and_promote_are_the_documented_posts() {
    let contract = Contract::new();
    let addr = contract.serve();
    let vercel = deployer(addr, TOKEN);
    let to = target("dpl_10");
    let sent = vercel
        .send(action(Move::RollBack, &to))
        .await
        .expect("sent");
    assert_eq!(sent.status, 201);
    assert!(sent.detail.contains("dpl_10"), "{}", sent.detail);
    assert_eq!(contract.current(), "dpl_10");
    let post = contract.seen().pop().expect("a request");
    assert_eq!(post.method, "POST");
    assert_eq!(post.path, "/v1/projects/prj_readyroom/rollback/dpl_10");
    assert_eq!(
        post.query.get("description").map(String::as_str),
        Some("2.15 saturates the pool (by dana@ops-laptop with Readyroom)")
    );
    assert_eq!(post.query.get("teamId").map(String::as_str), Some(TEAM));
    assert_eq!(
        post.authorization.as_deref(),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    // Pinned now, and the listing says so.
    let listing = vercel.list().await.expect("listed");
    assert!(listing.notes[0].contains("pinned"), "{:?}", listing.notes);
    assert!(vercel
        .traits()
        .after_rollback
        .expect("said")
        .contains("promot"));

    let back = target("dpl_11");
    vercel
        .send(action(Move::Undo, &back))
        .await
        .expect("promoted");
    let post = contract.seen().pop().expect("a request");
    assert_eq!(post.path, "/v10/projects/prj_readyroom/promote/dpl_11");
    assert_eq!(contract.current(), "dpl_11");
    assert!(
        vercel.list().await.expect("listed").notes.is_empty(),
        "unpinned"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn vercel_contract_server_documented_errors_each_say_what_they_mean() {
    let contract = Contract::new();
    let addr = contract.serve();
    let vercel = deployer(addr, TOKEN);
    let send = |id: &'static str| {
        let vercel = &vercel;
        async move { vercel.send(action(Move::RollBack, &target(id))).await }
    };
    let e = send("dpl_11").await.expect_err("409");
    assert!(matches!(e, DeployError::Conflict { .. }), "{e:?}");
    assert!(
        e.to_string()
            .contains("already the current production deployment"),
        "{e}"
    );
    let e = send("dpl_3").await.expect_err("422");
    assert!(matches!(e, DeployError::NotCandidate { .. }), "{e:?}");
    let e = send("dpl_404").await.expect_err("404");
    assert!(
        matches!(e, DeployError::NotFound { .. }) && e.to_string().contains("dpl_404"),
        "{e}"
    );
    let wrong = deployer(addr, "not-the-token");
    let e = wrong.list().await.expect_err("401");
    assert_eq!(e, DeployError::Unauthorized);
    let mut other_team = deployer(addr, TOKEN);
    other_team.team_id = Some("team_else".into());
    let e = other_team.list().await.expect_err("403");
    assert!(matches!(e, DeployError::Forbidden { .. }), "{e:?}");
    assert_eq!(contract.current(), "dpl_11", "nothing moved");
    for e in [
        send("dpl_11").await.expect_err("409"),
        wrong.list().await.expect_err("401"),
    ] {
        assert!(!e.to_string().contains(TOKEN));
        assert!(!e.to_string().contains("not-the-token"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn vercel_contract_server_429_and_5xx_are_retried_only_where_safe() {
    let contract = Contract::new();
    let addr = contract.serve();
    let vercel = deployer(addr, TOKEN);
    let writes = |c: &Contract| c.seen().iter().filter(|s| s.method == "POST").count();

    // A read waits out a short Retry-After, and a 5xx once.
    contract.force(429, Some(1));
    contract.force(503, None);
    vercel.list().await.expect("listed after the retries");

    // A rollback answered 429 with a short wait was not taken: sent once more.
    contract.force(429, Some(1));
    vercel
        .send(action(Move::RollBack, &target("dpl_10")))
        .await
        .expect("sent on the second try");
    assert_eq!(writes(&contract), 2);
    assert_eq!(contract.current(), "dpl_10");

    // A long wait is the operator's call: said, not slept through.
    contract.force(429, Some(120));
    let e = vercel
        .send(action(Move::RollBack, &target("dpl_8")))
        .await
        .expect_err("rate limited");
    assert_eq!(
        e,
        DeployError::RateLimited {
            retry_after_s: Some(120)
        }
    );
    assert!(e.to_string().contains("wait 120 s"), "{e}");
    assert_eq!(writes(&contract), 3);

    // A 5xx to a rollback may have acted: never resent, said as uncertain.
    contract.force(502, None);
    let e = vercel
        .send(action(Move::RollBack, &target("dpl_8")))
        .await
        .expect_err("uncertain");
    assert!(e.uncertain(), "{e:?}");
    assert_eq!(writes(&contract), 4, "sent once");
    assert_eq!(contract.current(), "dpl_10");
}
