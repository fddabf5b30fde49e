//! A contract server for the part of Vercel's REST API Readyroom uses,
//! built from Vercel's documentation (this machine cannot reach Vercel):
//! `GET /v9/projects/{id}`, `GET /v6/deployments` (paged by `until` /
//! `pagination.next`), `POST /v1/projects/{id}/rollback/{deploymentId}`
//! (`description`), `POST /v10/projects/{id}/promote/{deploymentId}`, all
//! scoped by `teamId`, with a bearer token. It answers the documented
//! errors: 401 for a wrong token, 403 for another team, 404 for an unknown
//! project or deployment, 409 when the target already serves, 422 for a
//! deployment that is not a rollback candidate; and it records every
//! request exactly (method, path, query, headers, body) so tests assert
//! what Readyroom sent. `force` scripts the next answers (429 with
//! `Retry-After`, 5xx) ahead of the contract's own.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

pub const TOKEN: &str = "vercel_tok_5e1f-never-shown";
pub const PROJECT: &str = "prj_readyroom";
pub const TEAM: &str = "team_ops";
/// Milliseconds: the newest deployment's creation time.
const NEWEST_MS: i64 = 1_790_000_000_000;

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: BTreeMap<String, String>,
    pub authorization: Option<String>,
    pub body: String,
}

/// An answer forced ahead of the contract's: a status and a `Retry-After`.
#[derive(Debug, Clone, Copy)]
pub struct Forced {
    pub status: u16,
    pub retry_after_s: Option<u64>,
}

/// A deployment as the contract keeps it: (uid, sha, isRollbackCandidate,
/// readyState).
pub type Row = (String, String, bool, String);

#[derive(Default)]
pub struct Contract {
    /// Newest first.
    pub deployments: Mutex<Vec<Row>>,
    pub current: Mutex<String>,
    pub pinned: Mutex<bool>,
    pub seen: Mutex<Vec<Seen>>,
    pub forced: Mutex<VecDeque<Forced>>,
    /// Rollbacks and promotions are applied, then never answered.
    pub hang_writes: Mutex<bool>,
}

impl Contract {
    /// Twelve production deployments, `dpl_11` (newest, serving) down to
    /// `dpl_0`; `dpl_9` failed, `dpl_3` is not a rollback candidate.
    pub fn new() -> Arc<Contract> {
        let deployments = (0..12)
            .rev()
            .map(|i| {
                (
                    format!("dpl_{i}"),
                    format!("{i:02}aa{i:02}bbccddeeff00112233445566778899"),
                    i != 3,
                    if i == 9 { "ERROR" } else { "READY" }.to_string(),
                )
            })
            .collect();
        Arc::new(Contract {
            deployments: Mutex::new(deployments),
            current: Mutex::new("dpl_11".into()),
            ..Default::default()
        })
    }

    pub fn force(&self, status: u16, retry_after_s: Option<u64>) {
        self.forced.lock().expect("lock").push_back(Forced {
            status,
            retry_after_s,
        });
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }

    pub fn current(&self) -> String {
        self.current.lock().expect("lock").clone()
    }

    pub fn serve(self: &Arc<Self>) -> SocketAddr {
        let app = Router::new()
            .route("/v9/projects/{id}", get(project))
            .route("/v6/deployments", get(deployments))
            .route("/v1/projects/{id}/rollback/{deployment}", post(rollback))
            .route("/v10/projects/{id}/promote/{deployment}", post(promote))
            .fallback(|uri: Uri| async move {
                error(404, "not_found", &format!("no route {}", uri.path()))
            })
            .layer(axum::middleware::from_fn_with_state(
                self.clone(),
                contract_gate,
            ))
            .with_state(self.clone());
        readyroom_tests::targets::serve_http(app)
    }
}

fn error(status: u16, code: &str, message: &str) -> Response {
    (
        StatusCode::from_u16(status).expect("status"),
        Json(json!({"error": {"code": code, "message": message}})),
    )
        .into_response()
}

/// Records the request, answers what is forced, checks the token and the
/// team, then lets the route answer.
async fn contract_gate(
    State(c): State<Arc<Contract>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let query: BTreeMap<String, String> = parts
        .uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let authorization = parts
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    c.seen.lock().expect("lock").push(Seen {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: query.clone(),
        authorization: authorization.clone(),
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    if let Some(f) = c.forced.lock().expect("lock").pop_front() {
        let mut r = error(f.status, "forced", "forced by the test");
        if let Some(s) = f.retry_after_s {
            r.headers_mut()
                .insert("retry-after", s.to_string().parse().expect("header"));
        }
        return r;
    }
    if authorization.as_deref() != Some(&format!("Bearer {TOKEN}")) {
        return error(
            401,
            "forbidden",
            "The request is missing an authentication token",
        );
    }
    if query.get("teamId").map(String::as_str) != Some(TEAM) {
        return error(
            403,
            "forbidden",
            "Not authorized: this project belongs to a team",
        );
    }
    let request = axum::extract::Request::from_parts(parts, axum::body::Body::from(body));
    next.run(request).await
}

async fn project(State(c): State<Arc<Contract>>, Path(id): Path<String>) -> Response {
    if id != PROJECT {
        return error(404, "not_found", "Project not found");
    }
    let current = c.current();
    let pinned = *c.pinned.lock().expect("lock");
    Json(json!({
        "id": PROJECT, "name": "readyroom-app", "accountId": TEAM,
        "targets": {"production": {"id": current, "readyState": "READY"}},
        "lastRollbackTarget": if pinned { json!({"fromDeploymentId": "x", "toDeploymentId": current, "jobStatus": "succeeded", "requestedAt": 1}) } else { Value::Null },
    }))
    .into_response()
}

async fn deployments(
    State(c): State<Arc<Contract>>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    if q.get("projectId").map(String::as_str) != Some(PROJECT) {
        return error(404, "not_found", "Project not found");
    }
    let limit: usize = q.get("limit").and_then(|l| l.parse().ok()).unwrap_or(20);
    let until: Option<i64> = q.get("until").and_then(|u| u.parse().ok());
    let all = c.deployments.lock().expect("lock").clone();
    let created = |i: usize| NEWEST_MS - i as i64 * 3_600_000;
    let page: Vec<(usize, &Row)> = all
        .iter()
        .enumerate()
        .filter(|(i, _)| until.is_none_or(|u| created(*i) < u))
        .take(limit)
        .collect();
    let more = page.last().is_some_and(|(i, _)| *i + 1 < all.len());
    let rows: Vec<Value> = page
        .iter()
        .map(|(i, (uid, sha, candidate, state))| {
            json!({
                "uid": uid, "name": "readyroom-app", "url": format!("readyroom-app-{uid}.vercel.app"),
                "created": created(*i), "createdAt": created(*i), "state": state, "readyState": state,
                "target": "production", "isRollbackCandidate": candidate,
                "creator": {"uid": "u1", "username": "dana"},
                "meta": {"githubCommitSha": sha, "githubCommitMessage": format!("Change {uid}\n\nwith a body"), "githubCommitAuthorName": "Dana Kim"},
            })
        })
        .collect();
    Json(json!({
        "deployments": rows,
        "pagination": {"count": rows.len(), "next": if more { json!(created(page.last().expect("a row").0)) } else { Value::Null }, "prev": Value::Null},
    }))
    .into_response()
}

async fn hang_if_asked(c: &Contract) {
    if *c.hang_writes.lock().expect("lock") {
        tokio::time::sleep(Duration::from_secs(3_600)).await;
    }
}

async fn rollback(
    State(c): State<Arc<Contract>>,
    Path((id, deployment)): Path<(String, String)>,
    _body: Bytes,
) -> Response {
    if id != PROJECT {
        return error(404, "not_found", "Project not found");
    }
    let all = c.deployments.lock().expect("lock").clone();
    let Some((_, _, candidate, _)) = all.iter().find(|d| d.0 == deployment) else {
        return error(404, "not_found", "Deployment not found");
    };
    if c.current() == deployment {
        return error(
            409,
            "conflict",
            "This deployment is already the current production deployment",
        );
    }
    if !candidate {
        return error(
            422,
            "not_rollback_candidate",
            "This deployment is not a rollback candidate",
        );
    }
    *c.current.lock().expect("lock") = deployment;
    *c.pinned.lock().expect("lock") = true;
    hang_if_asked(&c).await;
    StatusCode::CREATED.into_response()
}

async fn promote(
    State(c): State<Arc<Contract>>,
    Path((id, deployment)): Path<(String, String)>,
) -> Response {
    if id != PROJECT {
        return error(404, "not_found", "Project not found");
    }
    if !c
        .deployments
        .lock()
        .expect("lock")
        .iter()
        .any(|d| d.0 == deployment)
    {
        return error(404, "not_found", "Deployment not found");
    }
    *c.current.lock().expect("lock") = deployment;
    *c.pinned.lock().expect("lock") = false;
    hang_if_asked(&c).await;
    StatusCode::CREATED.into_response()
}
