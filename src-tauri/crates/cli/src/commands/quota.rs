//! `readyroom quota`: per-tier quota usage read now, and the workspaces to
//! look at (over, near, projected to run out before the window resets);
//! with `--trend`, who was throttled on which of the last days, from the
//! sampler's snapshots in the local store.
//! Exits 1 when the source could not be read (the last good reading, if
//! any, is printed with why and since when).

use readyroom_api::quota::{QuotaRequest, QuotaTrendRequest};

use crate::args::{Global, QuotaArgs};
use crate::exit::{self, Failure};
use crate::{app, render};

pub async fn run(global: &Global, args: QuotaArgs) -> Result<u8, Failure> {
    let api = app::api(global)?;
    if args.trend {
        let view = api
            .get_quota_trend(QuotaTrendRequest {
                environment: args.env.clone(),
                days: Some(args.days),
            })
            .await;
        api.close().await;
        let view = view?;
        print!("{}", render::quota_trend(&view, args.format));
        return Ok(exit::OK);
    }
    let view = api
        .get_quota(QuotaRequest {
            environment: args.env.clone(),
            tier: args.tier.clone(),
            cap: Some(args.top),
        })
        .await;
    api.close().await;
    let view = view?;
    if !view.configured {
        return Err(Failure::error(format!(
            "environment '{}' has no quota source: add [environments.{}.quota] with source = \"postgres\" (the quota data contract, read through its [postgres] source) or source = \"http\" with usage_url",
            view.environment, view.environment
        )));
    }
    print!(
        "{}",
        render::quota(&view, args.near, args.over, args.format)
    );
    Ok(if view.problem.is_some() {
        exit::ERROR
    } else {
        exit::OK
    })
}
