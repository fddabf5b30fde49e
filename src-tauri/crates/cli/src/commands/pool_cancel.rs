//! `readyroom pool cancel PID`: cancel one backend's query, or terminate
//! its session with `--terminate`. The pid must be one the current sample
//! names; what will be signalled is shown, and the environment's name
//! typed (or given with `--confirm` by a script) before anything is sent.

use readyroom_api::context;
use readyroom_api::pools::{PoolsRequest, SignalBackendRequest};
use readyroom_core::audit::ActionResult;
use readyroom_core::format::printable;

use crate::args::{Format, Global, PoolCancelArgs};
use crate::exit::{self, Failure};
use crate::{app, render};

pub async fn run(global: &Global, args: PoolCancelArgs) -> Result<u8, Failure> {
    if args.reason.trim().is_empty() {
        return Err(Failure::usage(
            "a reason is required: say why with --reason, for the audit log; nothing was sent",
        ));
    }
    let api = app::api(global)?;
    let environment = context::resolve_environment(&api, args.env.as_deref())?;
    // Who the pid is now: the signal goes only to that session.
    let view = api
        .get_pools(PoolsRequest {
            environment: Some(environment.clone()),
            queries: Some(false),
            minutes: Some(1),
        })
        .await?;
    if let Some(problem) = &view.server.problem {
        return Err(Failure::error(format!(
            "cannot read {} now ({}); nothing was sent",
            problem.source, problem.reason
        )));
    }
    let backend = view
        .server
        .sample
        .as_ref()
        .and_then(|s| s.backends.iter().find(|b| b.pid == args.pid))
        .ok_or_else(|| {
            Failure::error(format!(
                "pid {} is not among the sessions Readyroom names in {environment} now (blocking or blocked, the oldest transactions, the longest queries; `readyroom pool` lists them); nothing was sent",
                args.pid
            ))
        })?
        .clone();
    let verb = if args.terminate {
        "terminate the session of"
    } else {
        "cancel the running query of"
    };
    eprintln!(
        "About to {verb} pid {} in {environment}: application \"{}\", user \"{}\", client {}, {}.",
        backend.pid,
        printable(&backend.application),
        printable(&backend.user),
        printable(&backend.client),
        backend.state.as_deref().unwrap_or("state hidden")
    );
    let confirm = super::confirm::typed(args.confirm, &environment, "confirm")?;
    let done = api
        .signal_backend(SignalBackendRequest {
            environment,
            pid: backend.pid,
            application: backend.application,
            username: backend.user,
            terminate: args.terminate,
            reason: args.reason,
            confirm,
        })
        .await?;
    api.close().await;
    match args.format {
        Format::Json => print!("{}", render::json(&done)),
        _ => println!(
            "{} (audit log entry {})",
            printable(&done.message),
            done.audit_seq
        ),
    }
    Ok(if done.result == ActionResult::Done {
        exit::OK
    } else {
        exit::ERROR
    })
}
