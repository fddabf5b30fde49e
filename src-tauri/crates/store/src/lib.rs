//! The local store: SQLite through sqlx, in WAL mode, with migrations.
//!
//! Every write is one transaction, so a run is stored whole or not at all.

mod migrations;
mod private;
mod scorecards;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

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
    #[error("local store error: {0}")]
    Query(#[from] sqlx::Error),
    #[error("the stored {row} could not be read back ({detail}); the row is damaged")]
    Corrupt { row: String, detail: String },
    #[error("stored run {id} is in row format {format}, written by a newer Readyroom; upgrade to read it")]
    NewerFormat { id: i64, format: i64 },
    #[error("a scorecard could not be encoded for the store: {0}")]
    Encode(String),
}

pub type Result<T> = std::result::Result<T, Error>;

/// One health sample of an environment, taken during a run.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthSample {
    pub at: OffsetDateTime,
    pub healthy: bool,
    pub latency_ms: Option<f64>,
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

#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the store file and brings its schema up
    /// to date.
    pub async fn open(path: &Path) -> Result<Store> {
        let shown = path.display().to_string();
        let open_err = |detail: String| Error::Open {
            path: shown.clone(),
            detail,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            private::create_dir(dir).map_err(|e| open_err(e.to_string()))?;
        }
        private::create_file(path).map_err(|e| open_err(e.to_string()))?;
        let options = SqliteConnectOptions::from_str("sqlite://")
            .map_err(|e| open_err(e.to_string()))?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|e| open_err(e.to_string()))?;
        migrations::run(&pool)
            .await
            .map_err(|detail| Error::Migrate {
                path: shown.clone(),
                detail,
            })?;
        Ok(Store {
            pool,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Stores a run and its health sample in one transaction.
    pub async fn save_run(&self, card: &Scorecard, sample: Option<&HealthSample>) -> Result<i64> {
        let json = scorecards::encode(card)?;
        let mut tx = self.pool.begin().await?;
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
                "INSERT INTO health_samples (environment, sampled_at, healthy, latency_ms, run_id) VALUES (?, ?, ?, ?, ?)",
            )
            .bind(&card.environment)
            .bind(rfc3339(s.at))
            .bind(s.healthy)
            .bind(s.latency_ms)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// The most recent stored scorecard of an environment.
    pub async fn latest(&self, environment: &str) -> Result<Option<Scorecard>> {
        Ok(self.recent(environment, 1).await?.into_iter().next())
    }

    /// The `n` most recent scorecards of an environment, newest first.
    pub async fn recent(&self, environment: &str, n: u32) -> Result<Vec<Scorecard>> {
        let rows = sqlx::query(
            "SELECT id, format, scorecard FROM scorecard_runs WHERE environment = ? ORDER BY measured_at DESC, id DESC LIMIT ?",
        )
        .bind(environment)
        .bind(n)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                scorecards::decode(
                    r.try_get("id")?,
                    r.try_get("format")?,
                    &r.try_get::<String, _>("scorecard")?,
                )
            })
            .collect()
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
        rows.iter().map(stored_run).collect()
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
        rows.iter().map(stored_run).collect()
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

    pub async fn close(&self) {
        self.pool.close().await;
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
