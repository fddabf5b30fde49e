//! The demo production's deployments (`readyroom demo`): `GET
//! {url}/deployments` lists them with the current one, `POST
//! {url}/deployments {"release": ID}` makes one current. Its bearer token
//! is the demo's own, kept in the keychain like any other.

use readyroom_core::deploys::{DeployState, Deployment, Listing, ProviderTraits};
use readyroom_core::Sensitive;
use serde::Deserialize;
use time::OffsetDateTime;

use super::call::{call, parse, refusal};
use super::{endpoint, Action, DeployError, Deployer, Sent};
use crate::source::BoxFuture;

pub struct DemoDeployer {
    pub api: url::Url,
    pub token: Option<Sensitive<String>>,
    pub http: reqwest::Client,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireListing {
    current: Option<String>,
    deployments: Vec<WireRelease>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireRelease {
    id: String,
    version: Option<String>,
    commit: Option<String>,
    message: Option<String>,
    author: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    state: String,
}

impl DemoDeployer {
    fn authorized(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.token {
            Some(token) => request.bearer_auth(token.expose()),
            None => request,
        }
    }
}

impl Deployer for DemoDeployer {
    fn traits(&self) -> ProviderTraits {
        ProviderTraits {
            name: "demo".into(),
            lists: true,
            targets: true,
            after_rollback: None,
        }
    }

    fn list(&self) -> BoxFuture<'_, Result<Listing, DeployError>> {
        Box::pin(async move {
            let url = endpoint(&self.api, &["deployments"]);
            let answer = call(self.authorized(self.http.get(url.clone())), &url, false).await?;
            if !answer.ok() {
                return Err(refusal(&answer, "deployment list at that URL", false));
            }
            let wire: WireListing = parse(&answer, &url)?;
            let deployments = wire
                .deployments
                .into_iter()
                .map(|r| Deployment {
                    // "candidate": built, never served production.
                    rollback_candidate: Some(r.state == "ready"),
                    state: match r.state.as_str() {
                        "candidate" => DeployState::Other("never deployed".into()),
                        word => DeployState::from_word(word),
                    },
                    id: r.id,
                    version: r.version,
                    commit: r.commit,
                    message: r.message,
                    author: r.author,
                    created_at: r.created_at,
                    url: None,
                })
                .collect();
            Ok(Listing::new(wire.current, deployments, false))
        })
    }

    fn send<'a>(&'a self, action: Action<'a>) -> BoxFuture<'a, Result<Sent, DeployError>> {
        Box::pin(async move {
            let to = action.to.ok_or_else(|| DeployError::Setup {
                detail: "the demo provider needs a target deployment".into(),
            })?;
            let url = endpoint(&self.api, &["deployments"]);
            let request = self
                .authorized(self.http.post(url.clone()))
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(serde_json::json!({ "release": to.id }).to_string());
            let answer = call(request, &url, true).await?;
            if !answer.ok() {
                return Err(refusal(&answer, &format!("deployment {}", to.id), true));
            }
            Ok(Sent {
                status: i32::from(answer.status),
                detail: format!(
                    "the demo provider made {} current (HTTP {})",
                    to.describe(),
                    answer.status
                ),
            })
        })
    }
}
