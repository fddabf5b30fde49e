//! After the provider accepts a rollback: poll the environment's health
//! URLs every interval until production answers healthy from the target,
//! or the deadline passes. Each poll is on the timeline, and announced.

use std::time::{Duration, Instant};

use readyroom_core::config::Environment;
use readyroom_core::deploys::{judge_poll, Deployment, Poll, Verification};
use readyroom_sources::http::{probe, HttpClients, Redirects};
use readyroom_sources::trust::ExtraRoots;

use crate::{Api, Event};

pub(crate) struct Schedule {
    pub every: Duration,
    pub deadline: Duration,
    /// One probe's own timeout.
    pub timeout: Duration,
}

pub(crate) async fn verify(
    api: &Api,
    name: &str,
    env: &Environment,
    target: Option<&Deployment>,
    accepted: Instant,
    schedule: Schedule,
) -> Verification {
    if env.health_urls.is_empty() {
        return Verification::not_verified(format!(
            "no health_urls in [environments.{name}]: set them so Readyroom can tell whether production recovered"
        ));
    }
    let clients =
        match ExtraRoots::of(env).and_then(|roots| HttpClients::new(&roots, schedule.timeout)) {
            Ok(c) => c,
            Err(e) => return Verification::not_verified(e.to_string()),
        };
    let deadline_ms = schedule.deadline.as_millis() as u64;
    let mut polls = Vec::new();
    let poll_once = || async {
        let round = futures::future::join_all(
            env.health_urls
                .iter()
                .map(|url| probe(&clients, Redirects::Follow, url.as_str(), schedule.timeout)),
        )
        .await;
        Poll {
            at: api.now(),
            after_ms: accepted.elapsed().as_millis() as u64,
            verdict: judge_poll(&round, target),
        }
    };
    // Polls start every `every` from the acceptance, however long each
    // takes (a slow one is followed at once): a healthy answer is seen
    // within one interval of it being given. The last looks at the
    // deadline itself.
    let deadline = accepted + schedule.deadline;
    loop {
        let started = Instant::now();
        let poll = poll_once().await;
        api.emit(Event::RollbackProgress {
            environment: name.to_string(),
            stage: "health".into(),
            message: format!(
                "{:.1} s: {}",
                poll.after_ms as f64 / 1000.0,
                poll.verdict.words()
            ),
        });
        let healthy = poll.verdict.healthy();
        polls.push(poll);
        if healthy || Instant::now() >= deadline {
            break;
        }
        let next = (started + schedule.every).min(deadline);
        tokio::time::sleep_until(next.into()).await;
    }
    Verification::conclude(polls, deadline_ms)
}
