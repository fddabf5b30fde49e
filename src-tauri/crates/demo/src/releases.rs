//! The demo's deployment history and a provider API over it, with one
//! known-bad release for the incident drill.

use serde::Serialize;
use time::OffsetDateTime;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Release {
    pub id: String,
    pub version: String,
    pub commit: String,
    /// The commit's message, first line.
    pub message: String,
    pub author: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// "ready" for a deployment that served production; "candidate" for one
    /// never deployed.
    pub state: &'static str,
    /// Known-bad: slow queries hold pool connections, errors climb, the AI
    /// upstream is hammered.
    #[serde(skip)]
    pub bad: bool,
}

#[derive(Debug, Clone)]
pub struct Releases {
    pub all: Vec<Release>,
    pub current: usize,
}

impl Releases {
    pub fn history(now: OffsetDateTime) -> Releases {
        let r = |id: &str, version: &str, commit: &str, days: i64, state, bad| Release {
            id: id.into(),
            version: version.into(),
            commit: commit.into(),
            message: notes(version).0.into(),
            author: notes(version).1.into(),
            created_at: now - time::Duration::days(days),
            state,
            bad,
        };
        Releases {
            all: vec![
                r("dpl_7a1", "2.12.3", "8c01d2e", 9, "ready", false),
                r("dpl_7b4", "2.13.0", "b77f3a1", 5, "ready", false),
                r("dpl_7c9", "2.14.0", "3f9c2ab", 2, "ready", false),
                r("dpl_7d2", "2.15.0", "e4d1c0f", 0, "candidate", true),
            ],
            current: 2,
        }
    }

    pub fn current(&self) -> &Release {
        &self.all[self.current]
    }

    /// Makes `id` current; a candidate becomes "ready" once deployed.
    pub fn deploy(&mut self, id: &str) -> Option<&Release> {
        let i = self.all.iter().position(|r| r.id == id)?;
        self.all[i].state = "ready";
        self.current = i;
        Some(&self.all[i])
    }

    pub fn bad_release_id(&self) -> Option<String> {
        self.all.iter().find(|r| r.bad).map(|r| r.id.clone())
    }
}

/// Each release's commit message and author.
fn notes(version: &str) -> (&'static str, &'static str) {
    match version {
        "2.12.3" => ("Fix campaign pagination off-by-one", "Priya Raman"),
        "2.13.0" => ("Add AI summaries for campaigns", "Tomás Ortega"),
        "2.14.0" => ("Retry the LLM provider with backoff and jitter", "Dana Kim"),
        _ => (
            "Load contact segments eagerly for the new dashboard",
            "Sam Okafor",
        ),
    }
}
