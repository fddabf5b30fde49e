//! The operator's one action on the Pools view: cancel a backend's query
//! or terminate its session. Off unless the environment's config allows it
//! (`allow_cancel`) and the transport takes actions; a reason and the
//! environment's name typed are required; the intent is in the audit log
//! before the signal goes out, over the source's one kept connection.

use std::time::Duration;

use readyroom_core::audit::ActionResult;
use readyroom_core::config::{Environment, PostgresSource as PostgresSettings};
use readyroom_sources::postgres::signal::{self, Picked, Signal, Signalled};
use readyroom_sources::postgres::{Endpoint, PostgresSource};
use readyroom_sources::trust::ExtraRoots;
use readyroom_sources::Source;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::read::{on_kept, secret};
use super::wire::ActionAvailability;
use crate::audit::{self, Intent};
use crate::scorecard::run::resolve_secrets;
use crate::{context, Api, ApiError, ErrorCode};

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SignalBackendRequest {
    pub environment: String,
    /// The backend, as the operator saw it in a sample: the signal goes
    /// only to that pid while it is still that application's and user's.
    pub pid: i32,
    pub application: String,
    pub username: String,
    /// End the session instead of cancelling its query.
    #[serde(default)]
    pub terminate: bool,
    pub reason: String,
    /// The environment's name, typed.
    pub confirm: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BackendSignalled {
    pub result: ActionResult,
    /// What happened, in a sentence.
    pub message: String,
    /// The outcome's entry in the audit log.
    pub audit_seq: i64,
}

/// `name`'s PostgreSQL source where this transport may cancel its
/// backends (`serve --allow-actions`, and `allow_cancel` in the config);
/// the refusal otherwise.
pub(crate) fn cancel_allowed<'e>(
    api: &Api,
    name: &str,
    env: &'e Environment,
) -> Result<&'e PostgresSettings, ApiError> {
    audit::actions_allowed(api)?;
    env.postgres.as_ref().filter(|pg| pg.allow_cancel).ok_or_else(|| {
        ApiError::new(
            ErrorCode::ActionDisabled,
            format!("cancelling backends is off for {name}: set allow_cancel = true in [environments.{name}.postgres] to allow it"),
        )
    })
}

/// What the Pools view says beside its sessions: whether they can be
/// cancelled from here, and the refusal's words when not.
pub(crate) fn availability(api: &Api, name: &str, env: &Environment) -> ActionAvailability {
    if env.postgres.is_none() {
        return ActionAvailability::default();
    }
    ActionAvailability::of(cancel_allowed(api, name, env))
}

fn describe_target(r: &SignalBackendRequest) -> String {
    format!(
        "pid {} (application \"{}\", user \"{}\")",
        r.pid, r.application, r.username
    )
}

pub(crate) async fn signal_backend(
    api: &Api,
    r: SignalBackendRequest,
) -> Result<BackendSignalled, ApiError> {
    audit::actions_allowed(api)?;
    let config = context::load_config(api)?.config;
    let (name, env) = context::environment(&config, Some(&r.environment))?;
    let pg = cancel_allowed(api, name, env)?;
    audit::confirmed(name, &r.confirm, &r.reason)?;
    let (action, signal) = if r.terminate {
        ("terminate_backend", Signal::Terminate)
    } else {
        ("cancel_backend", Signal::Cancel)
    };
    let secrets = resolve_secrets(api, PostgresSource.secrets(env)).await;
    let url = secret(&secrets, &pg.url_secret)
        .map_err(|(what, reason)| {
            ApiError::new(
                ErrorCode::SecretsUnavailable,
                format!("{what}: {reason}; nothing was sent"),
            )
        })?
        .clone();
    let roots =
        ExtraRoots::of(env).map_err(|e| ApiError::new(ErrorCode::SetupFailed, e.to_string()))?;
    let intent = audit::write_intent(
        api,
        Intent {
            environment: name,
            action,
            target: describe_target(&r),
            reason: &r.reason,
            deploy: None,
        },
    )
    .await?;

    let timeout = Duration::from_millis(env.probe_timeout_ms(&config.settings));
    let statement = Duration::from_millis(pg.statement_timeout_ms);
    let picked = Picked {
        pid: r.pid,
        application: r.application.clone(),
        username: r.username.clone(),
    };
    let sent = on_kept(
        api,
        name,
        Endpoint::Server,
        &url,
        &roots,
        timeout,
        move |conn, source| {
            Box::pin(async move {
                signal::signal_over(conn, &source, &picked, signal, statement, timeout).await
            })
        },
    )
    .await;
    let what = match signal {
        Signal::Cancel => "cancel",
        Signal::Terminate => "terminate",
    };
    let (result, message) = match &sent {
        Ok(Signalled::Sent) => (
            ActionResult::Done,
            match signal {
                Signal::Cancel => format!("PostgreSQL sent the cancel to pid {}: its running query stops, the session stays", r.pid),
                Signal::Terminate => format!("PostgreSQL terminated pid {}: its session ended and its open transaction rolled back", r.pid),
            },
        ),
        Ok(Signalled::NotSent) => (
            ActionResult::NotDone,
            format!("PostgreSQL could not {what} pid {} (the process was gone by then)", r.pid),
        ),
        Ok(Signalled::Gone) => (
            ActionResult::NotDone,
            format!(
                "pid {} is no longer that session (it ended, or the pid now belongs to another); nothing was sent",
                r.pid
            ),
        ),
        Err((_, reason)) => (ActionResult::NotDone, reason.clone()),
    };
    let outcome = audit::write_outcome(api, &intent, result, &message)
        .await
        .map_err(|e| {
            ApiError::new(
                ErrorCode::StoreFailed,
                format!("{message}. The audit log's outcome could not be written ({}); its intent stays as \"outcome unknown\"", e.message),
            )
        })?;
    Ok(BackendSignalled {
        result,
        message,
        audit_seq: outcome.seq,
    })
}
