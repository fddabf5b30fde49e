//! Deploy providers: list production's deployments and move production to
//! another one. Each provider is a [`Deployer`]; [`deployer`] builds the
//! environment's from its config and the secrets it names.
//!
//! This is the one place Readyroom writes to production, so every adapter
//! keeps to the same rules: no client that follows redirects (a token goes
//! only where the config says), the token only in a header (never in a URL,
//! a log line or an error), one call per action, its own timeout, and an
//! answer that says whether production may have changed when it cannot say
//! that it did.

mod call;
pub mod command;
pub mod demo;
mod errors;
pub mod template;
pub mod vercel;
pub mod webhook;

use std::time::Duration;

use readyroom_core::config::{DeployProvider, Environment};
use readyroom_core::deploys::{Deployment, Listing, ProviderTraits};
use readyroom_core::Sensitive;

pub use errors::DeployError;

use crate::http::{client, Redirects};
use crate::source::{BoxFuture, ResolvedSecrets};
use crate::trust::ExtraRoots;

/// A rollback, or the undo of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    RollBack,
    /// Back to the deployment a rollback left (Vercel: a promote).
    Undo,
}

impl<'a> Action<'a> {
    /// The target's id, listed or named; empty for "the provider's
    /// previous release".
    pub fn target_id(&self) -> &'a str {
        self.to
            .map(|d| d.id.as_str())
            .or(self.named)
            .unwrap_or_default()
    }

    /// The id of what serves now, where the provider listed it.
    pub fn from_id(&self) -> &'a str {
        self.from.map(|d| d.id.as_str()).unwrap_or_default()
    }
}

impl Move {
    pub fn action(self) -> &'static str {
        match self {
            Move::RollBack => "rollback",
            Move::Undo => "undo_rollback",
        }
    }
}

/// What to send.
#[derive(Debug, Clone, Copy)]
pub struct Action<'a> {
    pub kind: Move,
    /// The deployment to move production to; `None` for a provider that
    /// goes to its own previous release.
    pub to: Option<&'a Deployment>,
    /// The deployment named for a provider that does not list (sent as
    /// given, unchecked).
    pub named: Option<&'a str>,
    pub from: Option<&'a Deployment>,
    pub reason: &'a str,
    pub operator: &'a str,
    pub environment: &'a str,
}

/// The provider's answer to an action it accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The HTTP status, or a command's exit code.
    pub status: i32,
    /// What it said, in words (never a secret).
    pub detail: String,
}

/// A deploy provider (ARCHITECTURE.md: `Deployer`).
pub trait Deployer: Send + Sync {
    fn traits(&self) -> ProviderTraits;
    /// Production's deployments, newest first, and which one serves now.
    /// Providers that do not list answer [`DeployError::Unsupported`].
    fn list(&self) -> BoxFuture<'_, Result<Listing, DeployError>>;
    /// Sends one action. One call: a rollback is never sent twice, except
    /// after a 429 that says the first was not taken.
    fn send<'a>(&'a self, action: Action<'a>) -> BoxFuture<'a, Result<Sent, DeployError>>;
}

/// The environment's deploy provider, built from its config and the
/// secrets looked up for it. `None` when it configures none.
pub fn deployer(
    env: &Environment,
    secrets: &ResolvedSecrets,
    roots: &ExtraRoots,
) -> Result<Option<Box<dyn Deployer>>, DeployError> {
    let Some(config) = &env.deploy else {
        return Ok(None);
    };
    let timeout = Duration::from_millis(config.timeout_ms());
    let http = || {
        client(roots, timeout, Redirects::Keep).map_err(|e| DeployError::Setup {
            detail: e.to_string(),
        })
    };
    let token = |required: bool| -> Result<Option<Sensitive<String>>, DeployError> {
        match &config.token_secret {
            None if required => Err(DeployError::Setup {
                detail: "token_secret is not set in [environments.NAME.deploy]".into(),
            }),
            None => Ok(None),
            Some(name) => secret(secrets, name).map(Some),
        }
    };
    let deployer: Box<dyn Deployer> = match config.provider {
        DeployProvider::Demo => Box::new(demo::DemoDeployer {
            api: required_url(config.url.as_ref(), "url")?,
            token: token(false)?,
            http: http()?,
        }),
        DeployProvider::Vercel => Box::new(vercel::VercelDeployer {
            api: config.url.clone().unwrap_or_else(|| {
                url::Url::parse(readyroom_core::config::DeploySource::VERCEL_API)
                    .expect("a valid URL")
            }),
            project_id: config
                .project_id
                .clone()
                .ok_or_else(|| DeployError::Setup {
                    detail: "project_id is not set in [environments.NAME.deploy]".into(),
                })?,
            team_id: config.team_id.clone(),
            token: token(true)?.expect("required"),
            http: http()?,
        }),
        DeployProvider::Webhook => {
            let header = webhook::secret_header(config.secret_header.as_deref())?;
            let body = match &config.body {
                None => webhook::default_body(),
                Some(text) => serde_json::from_str(text).map_err(|e| DeployError::Setup {
                    detail: format!("body is not JSON ({e})"),
                })?,
            };
            Box::new(webhook::WebhookDeployer {
                url: required_url(config.url.as_ref(), "url")?,
                secret: token(false)?.map(|t| (header, t)),
                body,
                status_url: config.status_url.clone(),
                every: Duration::from_millis(config.verify_every_ms()),
                http: http()?,
            })
        }
        DeployProvider::Command => {
            let argv = config.command.clone().unwrap_or_default();
            if argv.first().is_none_or(|p| p.trim().is_empty()) {
                return Err(DeployError::Setup {
                    detail: "command is not set in [environments.NAME.deploy]: the program, then its arguments".into(),
                });
            }
            let env = config
                .env
                .iter()
                .map(|(var, name)| Ok((var.clone(), secret(secrets, name)?)))
                .collect::<Result<_, _>>()?;
            Box::new(command::CommandDeployer { argv, env })
        }
    };
    Ok(Some(deployer))
}

/// A secret the config names, looked up already, or why it is missing.
fn secret(secrets: &ResolvedSecrets, name: &str) -> Result<Sensitive<String>, DeployError> {
    match secrets.get(name) {
        Some(Ok(value)) => Ok(value.clone()),
        Some(Err(reason)) => Err(DeployError::Credential {
            name: name.to_string(),
            reason: reason.clone(),
        }),
        None => Err(DeployError::Credential {
            name: name.to_string(),
            reason: "it was not looked up".into(),
        }),
    }
}

fn required_url(url: Option<&url::Url>, key: &str) -> Result<url::Url, DeployError> {
    url.cloned().ok_or_else(|| DeployError::Setup {
        detail: format!("{key} is not set in [environments.NAME.deploy]"),
    })
}

/// `base` with `segments` appended as path segments (each escaped).
pub(crate) fn endpoint(base: &url::Url, segments: &[&str]) -> url::Url {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty();
        path.extend(segments);
    }
    url
}
