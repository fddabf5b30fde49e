//! `readyroom rollback [DEPLOYMENT] | --undo`: the pre-flight shown first,
//! then the environment's name typed (or `--confirm NAME`), then the
//! rollback, its outcome and whether production is healthy after.

use readyroom_api::context;
use readyroom_api::deploys::{PreflightRequest, TriggerRollbackRequest};
use readyroom_core::audit::ActionResult;

use crate::args::{Format, Global, RollbackArgs};
use crate::exit::{self, Failure};
use crate::{app, render};

pub async fn run(global: &Global, args: RollbackArgs) -> Result<u8, Failure> {
    if args.reason.trim().is_empty() {
        return Err(Failure::usage(
            "a reason is required: say why with --reason, for the audit log; nothing was sent",
        ));
    }
    let api = app::api(global)?;
    let environment = context::resolve_environment(&api, args.env.as_deref())?;
    let scripted = args.confirm.is_some();
    if !scripted {
        // Seen before it is confirmed: what will change, and what could stop it.
        let preflight = api
            .preflight_rollback(PreflightRequest {
                environment: environment.clone(),
                target: args.target.clone(),
                undo: args.undo,
            })
            .await?;
        eprint!("{}", render::preflight(&preflight));
        if !preflight.ready {
            api.close().await;
            return Err(Failure::error(format!(
                "the pre-flight failed ({}); nothing was sent",
                preflight.failure().unwrap_or_default()
            )));
        }
    }
    let what = match (args.dry_run, args.undo) {
        (true, _) => "record this dry run",
        (false, true) => "undo the last rollback",
        (false, false) => "roll back",
    };
    let confirm = super::confirm::typed(args.confirm, &environment, what)?;
    let outcome = api
        .trigger_rollback(TriggerRollbackRequest {
            environment,
            target: args.target,
            undo: args.undo,
            reason: args.reason,
            confirm,
            dry_run: args.dry_run,
        })
        .await?;
    api.close().await;
    match args.format {
        Format::Json => print!("{}", render::json(&outcome)),
        _ => print!("{}", render::rollback(&outcome, scripted)),
    }
    let healthy = outcome.verification.as_ref().and_then(|v| v.healthy());
    Ok(match outcome.result {
        Some(ActionResult::Done) if healthy != Some(false) => exit::OK,
        Some(ActionResult::DryRun) => exit::OK,
        _ => exit::ERROR,
    })
}
