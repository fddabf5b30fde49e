//! The quota data contract over HTTP: the application's usage endpoint
//! answers the contract's rows as JSON, and Readyroom sums them itself
//! (`readyroom_core::quota::summary`), since an endpoint cannot be asked
//! for a `GROUP BY`.
//!
//! The answer is either an array of rows, or `{"rows": [...], "next":
//! URL}` whose `next` (or an RFC 8288 `Link: <URL>; rel="next"` header)
//! names the next page. Pages are followed only on the usage URL's own
//! origin (the bearer token goes nowhere else), at most [`MAX_PAGES`] of
//! them and [`MAX_PAGE_BYTES`] each; past either cap the read fails with
//! what to change rather than showing part of the usage as all of it.

use std::collections::BTreeSet;

use readyroom_core::quota::{UsageRow, Window};
use readyroom_core::Sensitive;
use serde::Deserialize;
use time::OffsetDateTime;
use url::Url;

use crate::http::{classify, read_capped};

/// Pages followed before the read stops.
pub const MAX_PAGES: usize = 100;
/// Rows read in all before the read stops (a million rows is some
/// 300,000 workspaces; past that, the PostgreSQL source sums in SQL).
pub const MAX_ROWS: usize = 1_000_000;
/// One page's body, at most.
pub const MAX_PAGE_BYTES: usize = 16 * 1024 * 1024;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UsageError {
    #[error("the usage endpoint {url} did not answer: {detail}. Check usage_url in [environments.NAME.quota] and that the app is reachable from this machine")]
    Unreachable { url: String, detail: String },
    #[error("the usage endpoint {url} refused the credentials (HTTP {status}). Check the token in the keychain entry named by token_secret (`readyroom secret set`)")]
    Refused { url: String, status: u16 },
    #[error("the usage endpoint {url} answered HTTP {status}: {detail}")]
    Status {
        url: String,
        status: u16,
        detail: String,
    },
    #[error("the usage endpoint {url} answered with something that does not follow the quota data contract: {detail}")]
    Malformed { url: String, detail: String },
    #[error("the usage endpoint {url} answered a page of more than {} MiB; Readyroom stopped reading it. Return smaller pages with a next link", MAX_PAGE_BYTES / 1024 / 1024)]
    TooLarge { url: String },
    #[error("the usage endpoint {url} had more than {MAX_PAGES} pages; Readyroom stopped rather than show part of the usage as all of it. Return larger pages, or read the usage from PostgreSQL (source = \"postgres\")")]
    TooManyPages { url: String },
    #[error("the usage endpoint {url} answered more than {MAX_ROWS} rows; Readyroom stopped rather than show part of the usage as all of it. Read the usage from PostgreSQL (source = \"postgres\"), which sums it in SQL")]
    TooManyRows { url: String },
    #[error("the usage endpoint {url} pointed its next page at {next} ({why}); Readyroom sends the token only to the usage URL's own origin")]
    NextElsewhere {
        url: String,
        next: String,
        why: &'static str,
    },
}

/// One row as the endpoint sends it: the contract's columns, the id a
/// string or a number, counts possibly null.
/// Other fields are ignored, as the PostgreSQL source ignores other
/// columns.
#[derive(Deserialize)]
struct WireRow {
    workspace_id: WireId,
    #[serde(default)]
    workspace_name: Option<String>,
    tier: String,
    window: String,
    #[serde(with = "time::serde::rfc3339")]
    window_start: OffsetDateTime,
    requests: Option<i64>,
    ai_calls: Option<i64>,
    ai_tokens: Option<i64>,
    throttled: Option<i64>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum WireId {
    Text(String),
    Number(i64),
}

/// One page: its rows, and the next page's link in the body, if any.
struct Page {
    rows: Vec<serde_json::Value>,
    next: Option<String>,
}

/// A page's body as [`Page`], or what is wrong with it.
fn page_of(body: &[u8]) -> Result<Page, String> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| format!("not JSON ({e})"))?;
    match value {
        serde_json::Value::Array(rows) => Ok(Page { rows, next: None }),
        serde_json::Value::Object(mut page) => {
            let rows = match page.remove("rows") {
                Some(serde_json::Value::Array(rows)) => rows,
                Some(_) => return Err("\"rows\" is not an array".into()),
                None => return Err("an object without \"rows\"; expected a JSON array of rows or {\"rows\": [...], \"next\": URL}".into()),
            };
            let next = match page.remove("next") {
                None | Some(serde_json::Value::Null) => None,
                Some(serde_json::Value::String(next)) => Some(next),
                Some(_) => return Err("\"next\" is not a URL string or null".into()),
            };
            Ok(Page { rows, next })
        }
        _ => Err("expected a JSON array of rows or {\"rows\": [...], \"next\": URL}".into()),
    }
}

/// The usage endpoint with its credentials.
pub struct UsageEndpoint {
    pub url: Url,
    /// A client that never follows redirects (`HttpClients::with_credentials`).
    pub client: reqwest::Client,
    pub token: Option<Sensitive<String>>,
}

impl UsageEndpoint {
    /// Every row, page after page.
    pub async fn rows(&self) -> Result<Vec<UsageRow>, UsageError> {
        let mut rows = Vec::new();
        let mut seen = BTreeSet::new();
        let mut next = Some(self.url.clone());
        while let Some(url) = next.take() {
            if seen.len() == MAX_PAGES {
                return Err(UsageError::TooManyPages { url: self.shown() });
            }
            if !seen.insert(url.to_string()) {
                return Err(self.malformed(format!(
                    "its next link goes back to {url}, a page already read"
                )));
            }
            let (page, link) = self.page(&url).await?;
            if rows.len() + page.rows.len() > MAX_ROWS {
                return Err(UsageError::TooManyRows { url: self.shown() });
            }
            for value in page.rows {
                let row = self.row(value, rows.len() + 1)?;
                rows.push(row);
            }
            next = match page.next.or(link) {
                Some(text) if !text.is_empty() => Some(self.next_url(&url, &text)?),
                _ => None,
            };
        }
        Ok(rows)
    }

    /// The usage URL as shown in messages: no query (it may hold a key).
    fn shown(&self) -> String {
        let mut url = self.url.clone();
        url.set_query(None);
        let _ = url.set_password(None);
        let _ = url.set_username("");
        url.to_string()
    }

    fn malformed(&self, detail: String) -> UsageError {
        UsageError::Malformed {
            url: self.shown(),
            detail,
        }
    }

    /// The next page's URL: relative links resolve against this page's;
    /// any other origin is refused.
    fn next_url(&self, page: &Url, text: &str) -> Result<Url, UsageError> {
        let next = page
            .join(text)
            .map_err(|e| self.malformed(format!("its next link {text:?} is not a URL ({e})")))?;
        let why = if next.scheme() != self.url.scheme() {
            Some("another scheme")
        } else if next.host() != self.url.host() {
            Some("another host")
        } else if next.port_or_known_default() != self.url.port_or_known_default() {
            Some("another port")
        } else {
            None
        };
        match why {
            Some(why) => Err(UsageError::NextElsewhere {
                url: self.shown(),
                next: format!("{}://{}", next.scheme(), next.host_str().unwrap_or("")),
                why,
            }),
            None => Ok(next),
        }
    }

    /// One page and its `Link: rel="next"`, if any.
    async fn page(&self, url: &Url) -> Result<(Page, Option<String>), UsageError> {
        let mut request = self
            .client
            .get(url.clone())
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(token) = &self.token {
            request = request.bearer_auth(token.expose());
        }
        let unreachable = |e: &reqwest::Error| UsageError::Unreachable {
            url: self.shown(),
            detail: classify(e).to_string(),
        };
        let mut response = request.send().await.map_err(|e| unreachable(&e))?;
        let status = response.status();
        if matches!(status.as_u16(), 401 | 403) {
            return Err(UsageError::Refused {
                url: self.shown(),
                status: status.as_u16(),
            });
        }
        let link = response
            .headers()
            .get_all(reqwest::header::LINK)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(next_in_link);
        let body = read_capped(&mut response, MAX_PAGE_BYTES)
            .await
            .map_err(|e| unreachable(&e))?;
        if body.cut {
            return Err(UsageError::TooLarge { url: self.shown() });
        }
        if !status.is_success() {
            let text = String::from_utf8_lossy(&body.bytes);
            let detail: String = text.trim().chars().take(300).collect();
            return Err(UsageError::Status {
                url: self.shown(),
                status: status.as_u16(),
                detail: if detail.is_empty() {
                    "no detail given".into()
                } else {
                    detail
                },
            });
        }
        let page = page_of(&body.bytes).map_err(|e| self.malformed(e))?;
        Ok((page, link))
    }

    /// One row checked against the contract, named by its number (from
    /// 1, over every page) and column if wrong.
    fn row(&self, value: serde_json::Value, number: usize) -> Result<UsageRow, UsageError> {
        let wire: WireRow = serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            let column = if path == "." {
                String::new()
            } else {
                format!(", column {path}")
            };
            self.malformed(format!("row {number}{column}: {}", e.inner()))
        })?;
        let window = Window::parse(&wire.window).ok_or_else(|| {
            self.malformed(format!(
                "row {number}, column window: {:?} is not minute, hour or day",
                wire.window
            ))
        })?;
        Ok(UsageRow {
            workspace_id: match wire.workspace_id {
                WireId::Text(s) => s,
                WireId::Number(n) => n.to_string(),
            },
            workspace_name: wire.workspace_name.unwrap_or_default(),
            tier: wire.tier,
            window,
            window_start: wire.window_start,
            requests: wire.requests,
            ai_calls: wire.ai_calls,
            ai_tokens: wire.ai_tokens,
            throttled: wire.throttled,
        })
    }
}

/// The `rel="next"` target of one `Link` header value (RFC 8288), if any.
fn next_in_link(value: &str) -> Option<String> {
    value.split(',').find_map(|link| {
        let (target, params) = link.trim().split_once(';')?;
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        params
            .split(';')
            .filter_map(|p| p.trim().split_once('='))
            .any(|(k, v)| {
                k.trim().eq_ignore_ascii_case("rel")
                    && v.trim()
                        .trim_matches('"')
                        .split_whitespace()
                        .any(|r| r.eq_ignore_ascii_case("next"))
            })
            .then(|| target.to_string())
    })
}
