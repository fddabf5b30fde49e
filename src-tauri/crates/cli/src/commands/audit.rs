//! `readyroom audit`: every action taken against production, newest
//! first, with the hash chain verified. A broken chain exits 1.

use readyroom_api::audit::AuditRequest;

use crate::args::{AuditArgs, Global};
use crate::exit::{self, Failure};
use crate::{app, render};

pub async fn run(global: &Global, args: AuditArgs) -> Result<u8, Failure> {
    let api = app::api(global)?;
    let view = api
        .get_audit_log(AuditRequest {
            environment: args.env.clone(),
        })
        .await?;
    api.close().await;
    print!("{}", render::audit(&view, args.format));
    if view.broken.is_some() {
        // Said in the output; the exit code tells a script.
        return Ok(exit::ERROR);
    }
    Ok(exit::OK)
}
