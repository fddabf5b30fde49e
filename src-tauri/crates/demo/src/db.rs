//! The demo app's own database: workspaces and usage counters, in SQLite
//! (embedded, the default) or PostgreSQL, through the same sqlx code. Usage
//! is exposed in Readyroom's quota data contract as the view
//! `readyroom_usage` (PRODUCT.md).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::pricing::{exceeded, Tier, Window};
use sqlx::any::AnyPoolOptions;
use sqlx::AnyPool;
use sqlx::{Connection, Row};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The app's connection pool size: small, so an incident can saturate it.
pub const POOL_SIZE: u32 = 5;

#[derive(Debug, Clone, serde::Serialize)]
pub struct Workspace {
    pub id: String,
    pub name: String,
    pub tier: Tier,
    /// Demo credential the traffic generator and tests use.
    #[serde(skip)]
    pub api_key: String,
}

/// One row of the quota data contract.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub struct UsageRow {
    pub workspace_id: String,
    pub workspace_name: String,
    pub tier: String,
    pub window: String,
    pub window_start: String,
    pub requests: i64,
    pub ai_calls: i64,
    pub ai_tokens: i64,
    pub throttled: i64,
}

/// What a request is charged.
#[derive(Debug, Clone, Copy, Default)]
pub struct Charge {
    pub ai_calls: i64,
    pub ai_tokens: i64,
}

/// The outcome of counting a request against its plan.
#[derive(Debug, Clone, Copy)]
pub struct Admission {
    /// `Some(window)` when the request was refused because of that window.
    pub throttled_by: Option<Window>,
    /// Minute-window limit and what remains after this request.
    pub limit: u64,
    pub remaining: u64,
    pub reset_secs: i64,
}

#[derive(Clone)]
pub struct Db {
    pub pool: AnyPool,
    pub postgres: bool,
    /// Tasks waiting for a pool connection (sqlx does not expose it).
    pub waiting: Arc<AtomicU64>,
    /// Counting is check-then-write; one at a time keeps it exact.
    count_lock: Arc<tokio::sync::Mutex<()>>,
}

fn ts(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

const WORKSPACES: &[(&str, &str, Tier)] = &[
    ("ws_acme", "Acme Corp", Tier::Enterprise),
    ("ws_globex", "Globex", Tier::Professional),
    ("ws_initech", "Initech", Tier::Professional),
    ("ws_umbrella", "Umbrella", Tier::Starter),
    ("ws_hooli", "Hooli", Tier::Starter),
    ("ws_piedpiper", "Pied Piper", Tier::Free),
    ("ws_dunder", "Dunder Mifflin", Tier::Free),
    ("ws_vandelay", "Vandelay Industries", Tier::Free),
];

impl Db {
    /// Connects (creating the SQLite file if needed), creates the schema and
    /// seeds the workspaces. `url` is `sqlite://PATH` or `postgres://...`.
    pub async fn open(url: &str) -> Result<Db, sqlx::Error> {
        sqlx::any::install_default_drivers();
        let postgres = url.starts_with("postgres");
        // Its sessions carry the service's name on PostgreSQL, as an app's
        // do, so the Pools view can say whose they are.
        let url = match url::Url::parse(url) {
            Ok(mut u) if postgres && !u.query_pairs().any(|(k, _)| k == "application_name") => {
                u.query_pairs_mut()
                    .append_pair("application_name", crate::telemetry::SERVICE_NAME);
                u.to_string()
            }
            _ => url.to_string(),
        };
        let pool = AnyPoolOptions::new()
            .max_connections(POOL_SIZE)
            .acquire_timeout(std::time::Duration::from_secs(5))
            .connect(&url)
            .await?;
        let db = Db {
            pool,
            postgres,
            waiting: Arc::default(),
            count_lock: Arc::default(),
        };
        db.migrate().await?;
        Ok(db)
    }

    async fn migrate(&self) -> Result<(), sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        for sql in [
            "CREATE TABLE IF NOT EXISTS demo_workspaces (id TEXT PRIMARY KEY, name TEXT NOT NULL, tier TEXT NOT NULL, api_key TEXT NOT NULL UNIQUE)",
            "CREATE TABLE IF NOT EXISTS demo_usage (workspace_id TEXT NOT NULL REFERENCES demo_workspaces (id), \"window\" TEXT NOT NULL, window_start TEXT NOT NULL, requests BIGINT NOT NULL DEFAULT 0, ai_calls BIGINT NOT NULL DEFAULT 0, ai_tokens BIGINT NOT NULL DEFAULT 0, throttled BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (workspace_id, \"window\", window_start))",
            "DROP VIEW IF EXISTS readyroom_usage",
        ] {
            sqlx::query(sql).execute(&mut *tx).await?;
        }
        // The one statement that differs: PostgreSQL gets a real timestamptz.
        let start = if self.postgres {
            "CAST(u.window_start AS timestamptz)"
        } else {
            "u.window_start"
        };
        sqlx::query(&format!(
            "CREATE VIEW readyroom_usage AS SELECT u.workspace_id, w.name AS workspace_name, w.tier, u.\"window\", {start} AS window_start, u.requests, u.ai_calls, u.ai_tokens, u.throttled FROM demo_usage u JOIN demo_workspaces w ON w.id = u.workspace_id"
        ))
        .execute(&mut *tx)
        .await?;
        for (id, name, tier) in WORKSPACES {
            sqlx::query("INSERT INTO demo_workspaces (id, name, tier, api_key) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING")
                .bind(*id)
                .bind(*name)
                .bind(tier.as_str())
                .bind(format!("demo_{id}_key"))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await
    }

    pub async fn workspaces(&self) -> Result<Vec<Workspace>, sqlx::Error> {
        let rows = sqlx::query("SELECT id, name, tier, api_key FROM demo_workspaces ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let tier: String = r.try_get("tier")?;
                Ok(Workspace {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    tier: tier.parse().unwrap_or(Tier::Free),
                    api_key: r.try_get("api_key")?,
                })
            })
            .collect()
    }

    /// Counts one request against the workspace's plan: refused (and counted
    /// as throttled) when any window is exhausted, else counted with its charge.
    pub async fn admit(
        &self,
        ws: &Workspace,
        charge: Charge,
        now: OffsetDateTime,
    ) -> Result<Admission, sqlx::Error> {
        let _one = self.count_lock.lock().await;
        let mut conn = self.acquire().await?;
        let limits = ws.tier.default_limits();
        let mut counts = Vec::new();
        for w in Window::ALL {
            let row = sqlx::query("SELECT requests FROM demo_usage WHERE workspace_id = $1 AND \"window\" = $2 AND window_start = $3")
                .bind(&ws.id)
                .bind(w.as_str())
                .bind(ts(w.start(now)))
                .fetch_optional(&mut *conn)
                .await?;
            let n: i64 = match row {
                Some(r) => r.try_get(0)?,
                None => 0,
            };
            counts.push((w, n.max(0) as u64));
        }
        let throttled_by = exceeded(&limits, &counts);
        let (requests, throttled, charge) = match throttled_by {
            Some(_) => (0, 1, Charge::default()),
            None => (1, 0, charge),
        };
        let mut tx = conn.begin().await?;
        for w in Window::ALL {
            sqlx::query(
                "INSERT INTO demo_usage (workspace_id, \"window\", window_start, requests, ai_calls, ai_tokens, throttled) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (workspace_id, \"window\", window_start) DO UPDATE SET requests = demo_usage.requests + excluded.requests, \
                 ai_calls = demo_usage.ai_calls + excluded.ai_calls, ai_tokens = demo_usage.ai_tokens + excluded.ai_tokens, throttled = demo_usage.throttled + excluded.throttled",
            )
            .bind(&ws.id)
            .bind(w.as_str())
            .bind(ts(w.start(now)))
            .bind(requests)
            .bind(charge.ai_calls)
            .bind(charge.ai_tokens)
            .bind(throttled)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        let minute_used = counts.first().map(|(_, n)| *n).unwrap_or(0) + requests as u64;
        let limit = limits.requests_per(Window::Minute);
        Ok(Admission {
            throttled_by,
            limit,
            remaining: limit.saturating_sub(minute_used),
            reset_secs: (Window::Minute.reset(now) - now).whole_seconds().max(1),
        })
    }

    /// Adds AI usage to an admitted request's windows.
    pub async fn charge_ai(
        &self,
        ws: &Workspace,
        tokens: i64,
        now: OffsetDateTime,
    ) -> Result<(), sqlx::Error> {
        let _one = self.count_lock.lock().await;
        let mut conn = self.acquire().await?;
        for w in Window::ALL {
            sqlx::query("UPDATE demo_usage SET ai_calls = ai_calls + 1, ai_tokens = ai_tokens + $1 WHERE workspace_id = $2 AND \"window\" = $3 AND window_start = $4")
                .bind(tokens)
                .bind(&ws.id)
                .bind(w.as_str())
                .bind(ts(w.start(now)))
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }

    /// The quota contract's rows, read through the view.
    pub async fn usage(&self) -> Result<Vec<UsageRow>, sqlx::Error> {
        let mut conn = self.acquire().await?;
        let window_start = if self.postgres {
            "CAST(window_start AS TEXT)"
        } else {
            "window_start"
        };
        let rows = sqlx::query(&format!(
            "SELECT workspace_id, workspace_name, tier, \"window\", {window_start} AS window_start, requests, ai_calls, ai_tokens, throttled FROM readyroom_usage ORDER BY workspace_id, \"window\", window_start"
        ))
        .fetch_all(&mut *conn)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(UsageRow {
                    workspace_id: r.try_get("workspace_id")?,
                    workspace_name: r.try_get("workspace_name")?,
                    tier: r.try_get("tier")?,
                    window: r.try_get("window")?,
                    window_start: r.try_get("window_start")?,
                    requests: r.try_get("requests")?,
                    ai_calls: r.try_get("ai_calls")?,
                    ai_tokens: r.try_get("ai_tokens")?,
                    throttled: r.try_get("throttled")?,
                })
            })
            .collect()
    }

    /// A pool connection, counting the time spent waiting for one.
    async fn acquire(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>, sqlx::Error> {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let conn = self.pool.acquire().await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        conn
    }

    /// Holds a pool connection for `hold` (what a slow query does), counting
    /// the wait for one; `acquired` is told when the wait is over, and
    /// whether a connection came. Returns false if none came within the
    /// acquire timeout.
    pub async fn use_connection(
        &self,
        hold: std::time::Duration,
        acquired: impl FnOnce(bool),
    ) -> bool {
        let conn = self.acquire().await;
        acquired(conn.is_ok());
        match conn {
            // On PostgreSQL the slow query is a real one (the server shows
            // it active, with its age and text); SQLite has no sleep.
            Ok(mut c) if self.postgres && !hold.is_zero() => sqlx::query("SELECT pg_sleep($1)")
                .bind(hold.as_secs_f64())
                .execute(&mut *c)
                .await
                .is_ok(),
            Ok(mut c) => {
                let ok = sqlx::query("SELECT 1").execute(&mut *c).await.is_ok();
                if !hold.is_zero() {
                    tokio::time::sleep(hold).await;
                }
                ok
            }
            Err(_) => false,
        }
    }
}
