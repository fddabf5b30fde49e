//! The environment's deploy provider, opened for one request: its secrets
//! looked up in the keychain, its client built with the environment's
//! trust roots.

use readyroom_core::config::{DeploySource, Environment};
use readyroom_sources::deploy::{self, DeployError, Deployer};
use readyroom_sources::trust::ExtraRoots;
use readyroom_sources::SecretRef;

use super::wire::DeployProblem;
use crate::scorecard::run::resolve_secrets;
use crate::Api;

/// The keychain entries the provider needs.
pub(crate) fn secret_refs(config: &DeploySource) -> Vec<SecretRef> {
    let mut refs: Vec<SecretRef> = config
        .token_secret
        .iter()
        .map(|name| SecretRef {
            key: "deploy.token_secret",
            name: name.clone(),
        })
        .collect();
    refs.extend(config.env.values().map(|name| SecretRef {
        key: "deploy.env",
        name: name.clone(),
    }));
    refs
}

/// Opens the provider: `Ok(None)` when the environment configures none.
pub(crate) async fn open(
    api: &Api,
    env: &Environment,
) -> Result<Option<Box<dyn Deployer>>, DeployError> {
    let Some(config) = &env.deploy else {
        return Ok(None);
    };
    let roots = ExtraRoots::of(env).map_err(|e| DeployError::Setup {
        detail: e.to_string(),
    })?;
    let secrets = resolve_secrets(api, secret_refs(config)).await;
    deploy::deployer(env, &secrets, &roots)
}

pub(crate) fn problem(e: &DeployError) -> DeployProblem {
    DeployProblem {
        code: e.code().to_string(),
        message: e.to_string(),
    }
}
