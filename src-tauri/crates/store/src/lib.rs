//! The local store: SQLite through sqlx, in WAL mode, with migrations.
//!
//! Every write is one transaction, so a run is stored whole or not at all.

mod audit;
mod migrations;
mod open_lock;
mod pools;
mod private;
mod quota;
mod scorecards;
mod spans;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

pub use audit::AuditRead;
pub use pools::{PoolHistory, PoolKind, PoolReading, StoredReading};
pub use quota::QuotaHistory;
pub use spans::{
    Attributed, Listed, Removed, SpanStore, Stored, WindowCounts, ATTRIBUTE_SCAN, SETTLE_NS,
};

use readyroom_core::evidence::UptimeHistory;
use readyroom_core::scorecard::{Grade, Scorecard};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot open the local store at {path}: {detail}. Check that the folder is writable, or point READYROOM_DATA_DIR elsewhere")]
    Open { path: String, detail: String },
    #[error("the local store at {path} could not be migrated: {detail}")]
    Migrate { path: String, detail: String },
    #[error("{path} is not a Readyroom store (it is not an SQLite database); Readyroom leaves it untouched. Move it aside, or point READYROOM_DATA_DIR at another folder")]
    NotAStore { path: String },
    #[error("the local store at {path} was written by a newer Readyroom (schema version {found}; this one knows up to {known}); upgrade Readyroom, or point READYROOM_DATA_DIR at another folder")]
    NewerStore {
        path: String,
        found: i64,
        known: i64,
    },
    #[error("the local store at {path} is locked by another process ({detail}); close the other Readyroom (or the tool that has the file open) and try again")]
    Locked { path: String, detail: String },
    #[error("local store error: {0}")]
    Query(#[from] sqlx::Error),
    #[error("the stored {row} could not be read back ({detail}); the row is damaged")]
    Corrupt { row: String, detail: String },
    #[error("stored run {id} is in row format {format}, written by a newer Readyroom; upgrade to read it")]
    NewerFormat { id: i64, format: i64 },
    #[error("data could not be encoded for the local store: {0}")]
    Encode(String),
}

pub type Result<T> = std::result::Result<T, Error>;

/// One health sample of an environment, taken during a run.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthSample {
    pub at: OffsetDateTime,
    pub healthy: bool,
    pub latency_ms: Option<f64>,
    /// The release that answered, where the health URL named it.
    pub version: Option<String>,
    pub commit: Option<String>,
    /// Healthy as a rollback's verification judges it: 2xx, saying ok,
    /// no dependency degraded (`healthy` is 2xx alone, as uptime counts).
    pub sound: bool,
}

/// A stored run, without its full scorecard.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRun {
    pub id: i64,
    pub environment: String,
    pub measured_at: OffsetDateTime,
    pub score: f64,
    pub grade: Grade,
    pub coverage: f64,
}

/// Scorecards read back, newest first, and the rows that could not be
/// (damaged, or written by a newer Readyroom): skipped, never fatal.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recent {
    pub cards: Vec<Scorecard>,
    /// One message per skipped row, saying which and why.
    pub skipped: Vec<String>,
}

/// How long a write waits for another process's lock before giving up: a
/// run probes production only after this check, and then waits as long again
/// to save, so another process holding the store for a few seconds costs
/// nothing.
const LOCK_PATIENCE: Duration = Duration::from_secs(30);

/// How many unreadable rows a read looks past before it stops looking.
const MAX_SKIPPED: u32 = 20;

#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the store file and brings its schema up
    /// to date.
    pub async fn open(path: &Path) -> Result<Store> {
        let pool = open_database(path, migrations::STORE).await?;
        Ok(Store {
            pool,
            path: path.to_path_buf(),
        })
    }

    /// Fails, after waiting up to 30 s for another process, when a run
    /// could not be saved now, so that production is not probed for a run
    /// that would be lost.
    pub async fn ready_to_write(&self) -> Result<()> {
        let tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(|e| self.classify(e))?;
        tx.rollback().await.map_err(|e| self.classify(e))
    }

    /// Names the store in SQLite's own failures that an operator can act on.
    fn classify(&self, e: sqlx::Error) -> Error {
        classify(&self.path, e, |detail| Error::Open {
            path: self.path.display().to_string(),
            detail,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Stores a run and its health sample in one transaction.
    pub async fn save_run(&self, card: &Scorecard, sample: Option<&HealthSample>) -> Result<i64> {
        let json = scorecards::encode(card)?;
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(|e| self.classify(e))?;
        let id: i64 = sqlx::query(
            "INSERT INTO scorecard_runs (environment, measured_at, score, grade, coverage, scorecard, format) \
             VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(&card.environment)
        .bind(rfc3339(card.measured_at))
        .bind(card.score)
        .bind(card.grade.to_string())
        .bind(card.coverage)
        .bind(json)
        .bind(scorecards::CURRENT_FORMAT)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        if let Some(s) = sample {
            sqlx::query(
                "INSERT INTO health_samples (environment, sampled_at, healthy, latency_ms, run_id, version, revision, sound) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(&card.environment)
            .bind(rfc3339(s.at))
            .bind(s.healthy)
            .bind(s.latency_ms)
            .bind(id)
            .bind(&s.version)
            .bind(&s.commit)
            .bind(s.sound)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await.map_err(|e| self.classify(e))?;
        Ok(id)
    }

    /// The `n` most recent readable scorecards of an environment, newest
    /// first. A row that cannot be read is skipped and reported, so one
    /// damaged or newer row never hides the rest or blocks a new run.
    pub async fn recent(&self, environment: &str, n: u32) -> Result<Recent> {
        let rows = sqlx::query(
            "SELECT id, format, scorecard FROM scorecard_runs WHERE environment = ? ORDER BY measured_at DESC, id DESC LIMIT ?",
        )
        .bind(environment)
        .bind(n + MAX_SKIPPED)
        .fetch_all(&self.pool)
        .await?;
        let mut recent = Recent::default();
        for r in &rows {
            if recent.cards.len() == n as usize {
                break;
            }
            let decoded = (|| {
                scorecards::decode(
                    r.try_get("id")?,
                    r.try_get("format")?,
                    &r.try_get::<String, _>("scorecard")?,
                )
            })();
            match decoded {
                Ok(card) => recent.cards.push(card),
                Err(e) => {
                    tracing::warn!(error = %e, "skipped an unreadable stored run");
                    recent.skipped.push(format!("skipped: {e}"));
                }
            }
        }
        Ok(recent)
    }

    /// Past runs, newest first.
    pub async fn history(&self, environment: Option<&str>, limit: u32) -> Result<Vec<StoredRun>> {
        let rows = sqlx::query(
            "SELECT id, environment, measured_at, score, grade, coverage FROM scorecard_runs \
             WHERE (?1 IS NULL OR environment = ?1) ORDER BY measured_at DESC, id DESC LIMIT ?2",
        )
        .bind(environment)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(readable(&rows))
    }

    /// Runs of an environment measured in `[from, to]`, oldest first (at
    /// most `limit`: a week of runs every minute is 10,080).
    pub async fn runs_between(
        &self,
        environment: &str,
        from: OffsetDateTime,
        to: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<StoredRun>> {
        let rows = sqlx::query(
            "SELECT id, environment, measured_at, score, grade, coverage FROM scorecard_runs \
             WHERE environment = ? AND measured_at >= ? AND measured_at <= ? ORDER BY measured_at, id LIMIT ?",
        )
        .bind(environment)
        .bind(rfc3339(from))
        .bind(rfc3339(to))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(readable(&rows))
    }

    /// One stored run's whole scorecard; `Ok(None)` when there is no such
    /// run, an error when it cannot be read (damaged, or newer).
    pub async fn run_scorecard(&self, id: i64) -> Result<Option<Scorecard>> {
        let row = sqlx::query("SELECT id, format, scorecard FROM scorecard_runs WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            scorecards::decode(
                r.try_get("id")?,
                r.try_get("format")?,
                &r.try_get::<String, _>("scorecard")?,
            )
        })
        .transpose()
    }

    /// The id of the newest stored run, if any.
    pub async fn last_run_id(&self) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar("SELECT max(id) FROM scorecard_runs")
            .fetch_one(&self.pool)
            .await?)
    }

    /// Runs stored after run `id` (by any process), oldest first.
    pub async fn runs_after(&self, id: i64) -> Result<Vec<StoredRun>> {
        let rows = sqlx::query(
            "SELECT id, environment, measured_at, score, grade, coverage FROM scorecard_runs \
             WHERE id > ? ORDER BY id LIMIT 100",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        Ok(readable(&rows))
    }

    /// Health samples of an environment since `since`.
    pub async fn uptime(
        &self,
        environment: &str,
        since: OffsetDateTime,
    ) -> Result<Option<UptimeHistory>> {
        let row = sqlx::query(
            "SELECT count(*) AS n, coalesce(sum(healthy), 0) AS ok, min(sampled_at) AS first, max(sampled_at) AS last \
             FROM health_samples WHERE environment = ? AND sampled_at >= ?",
        )
        .bind(environment)
        .bind(rfc3339(since))
        .fetch_one(&self.pool)
        .await?;
        let n: i64 = row.try_get("n")?;
        if n == 0 {
            return Ok(None);
        }
        Ok(Some(UptimeHistory {
            samples: n as u64,
            healthy: row.try_get::<i64, _>("ok")? as u64,
            first_at: parse_time("health samples", &row.try_get::<String, _>("first")?)?,
            last_at: parse_time("health samples", &row.try_get::<String, _>("last")?)?,
        }))
    }

    /// An environment's health samples per release that answered them,
    /// `healthy` counting the sound ones (samples naming no release are
    /// left out).
    pub async fn release_health(
        &self,
        environment: &str,
    ) -> Result<Vec<readyroom_core::deploys::ReleaseHealth>> {
        let rows = sqlx::query(
            "SELECT version, revision, count(*) AS n, coalesce(sum(sound), 0) AS ok \
             FROM health_samples WHERE environment = ? AND (version IS NOT NULL OR revision IS NOT NULL) \
             GROUP BY version, revision",
        )
        .bind(environment)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(readyroom_core::deploys::ReleaseHealth {
                    version: row.try_get("version")?,
                    commit: row.try_get("revision")?,
                    samples: u32::try_from(row.try_get::<i64, _>("n")?).unwrap_or(u32::MAX),
                    healthy: u32::try_from(row.try_get::<i64, _>("ok")?).unwrap_or(u32::MAX),
                })
            })
            .collect()
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// The rows that read back as runs; the others are logged and skipped.
fn readable(rows: &[sqlx::sqlite::SqliteRow]) -> Vec<StoredRun> {
    rows.iter()
        .filter_map(|r| {
            stored_run(r)
                .inspect_err(|e| tracing::warn!(error = %e, "skipped an unreadable stored run"))
                .ok()
        })
        .collect()
}

/// Opens (creating if needed, privately) an SQLite database of Readyroom's
/// and brings its schema up to `set`: one process at a time (see
/// `open_lock`), refusing a file that is not SQLite or that a newer
/// Readyroom migrated.
pub(crate) async fn open_database(path: &Path, set: migrations::Migrations) -> Result<SqlitePool> {
    let shown = path.display().to_string();
    let open_err = |detail: String| Error::Open {
        path: shown.clone(),
        detail,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        private::create_dir(dir).map_err(|e| open_err(e.to_string()))?;
    }
    let _opening = open_lock::acquire(path, LOCK_PATIENCE)
        .await
        .map_err(open_err)?;
    private::create_file(path).map_err(|e| open_err(e.to_string()))?;
    let options = SqliteConnectOptions::from_str("sqlite://")
        .map_err(|e| open_err(e.to_string()))?
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(LOCK_PATIENCE)
        .foreign_keys(true);
    // No ping before handing out a connection: a local file's connection
    // does not go stale, and the ping was a thread round trip per query
    // (a quarter of the time a span batch spent holding the write lock).
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .test_before_acquire(false)
        .connect_with(options)
        .await
        .map_err(|e| classify(path, e, open_err))?;
    refuse_newer_schema(&pool, path, migrations::latest(set)).await?;
    migrations::run(&pool, set)
        .await
        .map_err(|detail| Error::Migrate {
            path: shown.clone(),
            detail,
        })?;
    Ok(pool)
}

/// A database migrated by a newer Readyroom has tables this one does not
/// know how to keep consistent: refuse it plainly instead of failing later
/// with sqlx's "previously applied but is missing".
async fn refuse_newer_schema(pool: &SqlitePool, path: &Path, known: i64) -> Result<()> {
    let err = |e| {
        classify(path, e, |detail| Error::Open {
            path: path.display().to_string(),
            detail,
        })
    };
    let exists: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_one(pool)
    .await
    .map_err(err)?;
    if exists == 0 {
        return Ok(());
    }
    let found: Option<i64> = sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations")
        .fetch_one(pool)
        .await
        .map_err(err)?;
    match found {
        Some(found) if found > known => Err(Error::NewerStore {
            path: path.display().to_string(),
            found,
            known,
        }),
        _ => Ok(()),
    }
}

/// SQLite failures an operator can act on, named: a file that is not a
/// database (SQLITE_NOTADB, 26) and a lock held too long (SQLITE_BUSY, 5,
/// and SQLITE_LOCKED, 6).
fn classify(path: &Path, e: sqlx::Error, other: impl FnOnce(String) -> Error) -> Error {
    let code = e
        .as_database_error()
        .and_then(|d| d.code())
        .and_then(|c| c.parse::<i64>().ok())
        .map(|c| c & 0xff);
    let shown = path.display().to_string();
    match code {
        Some(26) => Error::NotAStore { path: shown },
        Some(5) | Some(6) => Error::Locked {
            path: shown,
            detail: format!("it stayed locked for {} s", LOCK_PATIENCE.as_secs()),
        },
        _ => other(e.to_string()),
    }
}

fn stored_run(r: &sqlx::sqlite::SqliteRow) -> Result<StoredRun> {
    let id: i64 = r.try_get("id")?;
    let score: f64 = r.try_get("score")?;
    let grade: String = r.try_get("grade")?;
    Ok(StoredRun {
        id,
        environment: r.try_get("environment")?,
        measured_at: parse_time(
            &format!("run {id}"),
            &r.try_get::<String, _>("measured_at")?,
        )?,
        score,
        grade: stored_grade(&grade, score),
        coverage: r.try_get("coverage")?,
    })
}

/// A stored grade; one that no longer parses is recomputed from the score.
pub(crate) fn stored_grade(text: &str, score: f64) -> Grade {
    Grade::parse(text).unwrap_or_else(|| Grade::for_score(score))
}

/// Stored times are UTC RFC 3339 with a fixed nine-digit fraction, so that
/// text order is time order (a variable-width fraction would sort "40Z"
/// after "40.5Z").
fn rfc3339(t: OffsetDateTime) -> String {
    const FIXED: &[time::format_description::FormatItem<'static>] = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:9]Z"
    );
    t.to_offset(time::UtcOffset::UTC)
        .format(FIXED)
        .unwrap_or_default()
}

fn parse_time(row: &str, s: &str) -> Result<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).map_err(|e| Error::Corrupt {
        row: row.to_string(),
        detail: format!("time {s:?}: {e}"),
    })
}

#[cfg(test)]
mod tests;
