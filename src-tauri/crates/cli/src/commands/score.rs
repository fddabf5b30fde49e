//! `readyroom score`: gather evidence, score it, store it, show it.

use std::io::IsTerminal;
use std::time::Duration;

use readyroom_api::scoring::{self, Run};
use readyroom_core::config::Environment;
use readyroom_core::diff::ScorecardDiff;
use readyroom_core::rubric::Rubric;
use readyroom_store::Store;

use crate::args::{Global, ScoreArgs};
use crate::exit::{self, Failure};
use crate::{render, setup};

pub async fn run(global: &Global, args: ScoreArgs) -> Result<u8, Failure> {
    let parsed = setup::load_config(global)?;
    let config = &parsed.config;
    let (name, env) = config.environment(args.env.as_deref()).map_err(|msg| {
        if args.env.is_some() {
            Failure::usage(msg)
        } else {
            Failure::error(msg)
        }
    })?;
    let rubric = setup::load_rubric(config)?;
    let store = setup::open_store().await?;
    let timeout = Duration::from_millis(env.probe_timeout_ms(&config.settings));

    let run = score_with_progress(name, env, &rubric, &store, timeout).await?;
    let diff = if args.diff {
        store
            .latest(name)
            .await?
            .map(|prev| ScorecardDiff::between(&prev, &run.scorecard))
    } else {
        None
    };
    store
        .save_run(&run.scorecard, run.health_sample.as_ref())
        .await?;
    store.close().await;

    let card = &run.scorecard;
    print!(
        "{}",
        render::scorecard(card, diff.as_ref(), args.diff, args.format)
    );
    if let Some(min) = args.fail_under {
        if card.score < f64::from(min) {
            eprintln!("score {} is below --fail-under {min}", card.score);
            return Ok(exit::GATE_FAILED);
        }
    }
    Ok(exit::OK)
}

/// A scorecard run with progress on stderr when a person is watching.
pub async fn score_with_progress(
    name: &str,
    env: &Environment,
    rubric: &Rubric,
    store: &Store,
    timeout: Duration,
) -> Result<Run, Failure> {
    let watching = std::io::stderr().is_terminal();
    if watching {
        eprint!("probing…");
    }
    let on_probe = |label: &str| {
        if watching {
            eprint!(" {label} ✓");
        }
    };
    let run = scoring::score_environment(name, env, rubric, store, timeout, &on_probe).await;
    if watching {
        eprintln!();
    }
    Ok(run?)
}
