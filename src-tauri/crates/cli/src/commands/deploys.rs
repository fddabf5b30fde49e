//! `readyroom deploys`: production's deployments, what a rollback would do
//! now, and the undo on offer. A provider that cannot be read exits 1.

use readyroom_api::deploys::DeploysRequest;

use crate::args::{DeploysArgs, Global};
use crate::exit::{self, Failure};
use crate::{app, render};

pub async fn run(global: &Global, args: DeploysArgs) -> Result<u8, Failure> {
    let api = app::api(global)?;
    let view = api
        .list_deploys(DeploysRequest {
            environment: args.env.clone(),
        })
        .await?;
    api.close().await;
    print!("{}", render::deploys(&view, args.format));
    Ok(if view.problem.is_some() || !view.configured {
        exit::ERROR
    } else {
        exit::OK
    })
}
