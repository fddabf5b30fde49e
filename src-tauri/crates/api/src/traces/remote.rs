//! An environment's Tempo or Jaeger (`[environments.NAME.traces]
//! tempo_url`, else `jaeger_url`), with its token from the keychain.

use std::time::Duration;

use readyroom_core::config::Config;
use readyroom_sources::http::HttpClients;
use readyroom_sources::trace_query::{self, QueryError, TraceQuery, QUERY_TIMEOUT};
use readyroom_sources::trust::ExtraRoots;
use readyroom_sources::SecretRef;

use crate::{context, Api, ApiError, ErrorCode};

/// The environment's remote trace store, if `config` names one for it.
pub(crate) async fn source(
    api: &Api,
    config: &Config,
    environment: &str,
) -> Result<Option<TraceQuery>, ApiError> {
    let (_, env) = context::environment(config, Some(environment))?;
    let Some((engine, url)) = trace_query::configured(env) else {
        return Ok(None);
    };
    let Some(traces) = &env.traces else {
        return Ok(None);
    };
    let roots =
        ExtraRoots::of(env).map_err(|e| ApiError::new(ErrorCode::SetupFailed, e.to_string()))?;
    let timeout = QUERY_TIMEOUT.max(Duration::from_millis(
        env.probe_timeout_ms(&config.settings),
    ));
    let clients = HttpClients::new(&roots, timeout)
        .map_err(|e| ApiError::new(ErrorCode::SetupFailed, e.to_string()))?;
    let token = match &traces.token_secret {
        None => None,
        Some(name) => {
            let secrets = crate::scorecard::resolve_secrets(
                api,
                vec![SecretRef {
                    key: "traces.token_secret",
                    name: name.clone(),
                }],
            )
            .await;
            match secrets.get(name) {
                Some(Ok(value)) => Some(value.clone()),
                Some(Err(reason)) => {
                    return Err(ApiError::new(
                        ErrorCode::SecretsUnavailable,
                        format!(
                            "cannot read {}'s token for environment '{environment}': {reason}",
                            engine.name()
                        ),
                    ))
                }
                None => None,
            }
        }
    };
    Ok(Some(TraceQuery::new(
        engine,
        url,
        clients.with_credentials().clone(),
        token,
        traces.org_id.clone(),
    )))
}

/// Where a command read its traces, in words.
pub(crate) fn described(source: Option<&TraceQuery>) -> String {
    match source {
        Some(q) => format!("{} at {}", q.engine().name(), q.url()),
        None => "the local span store".into(),
    }
}

impl From<QueryError> for ApiError {
    fn from(e: QueryError) -> ApiError {
        let code = match e {
            QueryError::Unsupported(_) => ErrorCode::InvalidRequest,
            _ => ErrorCode::SourceFailed,
        };
        ApiError::new(code, e.to_string())
    }
}
