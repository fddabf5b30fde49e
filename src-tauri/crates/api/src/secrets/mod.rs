//! The secrets area: which keychain entries the config references and
//! whether each is set; storing and removing one. Values go in and never
//! come back out.

use readyroom_core::config::Config;
use readyroom_core::Sensitive;
use readyroom_secrets::{Origin, SecretStore};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub mod keychain;

/// Call first in every entry point's `main` (see its docs).
pub use readyroom_secrets::adopt_env_secrets;

use crate::commands::{EnvironmentFilter, SecretName};
use crate::{context, Api, ApiError, ErrorCode};

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SecretsView {
    pub secrets: Vec<SecretStatusRow>,
}

/// Where a secret's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum SecretOrigin {
    Keychain,
    Environment,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SecretStatusRow {
    pub name: String,
    pub environment: String,
    /// The config key that references it, e.g. `postgres.url_secret`.
    pub key: String,
    pub set: bool,
    /// Where the value comes from, when it is set.
    pub from: Option<SecretOrigin>,
    pub env_var: String,
    pub problem: Option<String>,
}

/// The value is write-only: it is deserialized straight into a
/// `Sensitive`, never logged, and a malformed request is reported without
/// it (`request.rs`).
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SetSecretRequest {
    pub name: String,
    #[serde(deserialize_with = "crate::request::sensitive_string")]
    #[ts(type = "string")]
    pub value: Sensitive<String>,
}

impl SetSecretRequest {
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        SetSecretRequest {
            name: name.into(),
            value: Sensitive::new(value.into()),
        }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SecretSet {
    pub name: String,
    pub set: bool,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SecretRemoved {
    pub name: String,
    /// False when there was no such entry.
    pub removed: bool,
}

pub(crate) async fn list_secrets(api: &Api, r: EnvironmentFilter) -> Result<SecretsView, ApiError> {
    let config = context::load_config(api)?.config;
    if let Some(env) = &r.environment {
        context::environment(&config, Some(env))?;
    }
    let secrets = rows(api, &config, r.environment.as_deref()).await?;
    Ok(SecretsView { secrets })
}

pub(crate) async fn set_secret(api: &Api, r: SetSecretRequest) -> Result<SecretSet, ApiError> {
    let name = r.name.clone();
    let value = r.value;
    blocking(api, move |store| store.set(&name, value)).await?;
    Ok(SecretSet {
        name: r.name,
        set: true,
    })
}

pub(crate) async fn remove_secret(api: &Api, r: SecretName) -> Result<SecretRemoved, ApiError> {
    let name = r.name.clone();
    let removed = blocking(api, move |store| store.remove(&name)).await?;
    Ok(SecretRemoved {
        name: r.name,
        removed,
    })
}

/// The secrets the config references, with whether each resolves.
async fn rows(
    api: &Api,
    config: &Config,
    only: Option<&str>,
) -> Result<Vec<SecretStatusRow>, ApiError> {
    let wanted: Vec<(String, String, String)> = config
        .environments
        .iter()
        .filter(|(name, _)| only.is_none_or(|o| o == name.as_str()))
        .flat_map(|(env_name, env)| {
            env.secret_refs()
                .into_iter()
                .map(|(key, name)| (env_name.clone(), key.to_string(), name.to_string()))
                .collect::<Vec<_>>()
        })
        .collect();
    keychain::call(
        api.host().secrets.clone(),
        api.host().keychain_timeout,
        move |store| {
            wanted
                .into_iter()
                .map(|(environment, key, name)| {
                    let status = store.status(&name);
                    SecretStatusRow {
                        env_var: readyroom_secrets::env_var_name(&name),
                        name,
                        environment,
                        key,
                        set: status.origin.is_some(),
                        from: status.origin.map(|o| match o {
                            Origin::Keychain => SecretOrigin::Keychain,
                            Origin::Environment => SecretOrigin::Environment,
                        }),
                        problem: status.problem,
                    }
                })
                .collect()
        },
    )
    .await
}

/// Runs a keychain call off the async workers, mapping its errors.
async fn blocking<T: Send + 'static>(
    api: &Api,
    call: impl FnOnce(&dyn SecretStore) -> readyroom_secrets::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    keychain::call(
        api.host().secrets.clone(),
        api.host().keychain_timeout,
        call,
    )
    .await?
    .map_err(|e| match e {
        readyroom_secrets::Error::InvalidName(m) => ApiError::new(ErrorCode::InvalidRequest, m),
        e @ readyroom_secrets::Error::EmptyValue(_) => {
            ApiError::new(ErrorCode::InvalidRequest, e.to_string())
        }
        other => ApiError::new(ErrorCode::SecretsUnavailable, other.to_string()),
    })
}
