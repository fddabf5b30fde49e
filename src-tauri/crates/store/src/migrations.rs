//! Schema migrations, embedded in the binary and applied with sqlx's
//! migrator (which records them in `_sqlx_migrations` with checksums).

use std::borrow::Cow;

use futures_core::future::BoxFuture;
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::SqlitePool;

/// One database's migrations: (version, description, SQL), in order.
/// Append only: never edit a released migration.
pub(crate) type Migrations = &'static [(i64, &'static str, &'static str)];

/// The store's (`readyroom.db`).
pub(crate) const STORE: Migrations = &[
    (
        1,
        "scorecards",
        include_str!("../migrations/0001_scorecards.sql"),
    ),
    (
        2,
        "row format",
        include_str!("../migrations/0002_row_format.sql"),
    ),
    (
        3,
        "pool samples",
        include_str!("../migrations/0003_pool_samples.sql"),
    ),
    (
        4,
        "audit log",
        include_str!("../migrations/0004_audit_log.sql"),
    ),
    (
        5,
        "pool sample load",
        include_str!("../migrations/0005_pool_sample_load.sql"),
    ),
    (
        6,
        "quota snapshots",
        include_str!("../migrations/0006_quota_snapshots.sql"),
    ),
    (
        7,
        "health release",
        include_str!("../migrations/0007_health_release.sql"),
    ),
];

/// The span store's (`spans.db`), a file of its own: see `spans.rs`.
pub(crate) const SPANS: Migrations = &[
    (
        1,
        "spans",
        include_str!("../migrations/spans/0001_spans.sql"),
    ),
    (
        2,
        "upstreams",
        include_str!("../migrations/spans/0002_upstreams.sql"),
    ),
    (
        3,
        "route minutes",
        include_str!("../migrations/spans/0003_route_minutes.sql"),
    ),
    (
        4,
        "trace parts",
        include_str!("../migrations/spans/0004_trace_parts.sql"),
    ),
    (
        5,
        "trace index",
        include_str!("../migrations/spans/0005_trace_index.sql"),
    ),
];

/// The newest schema version of a set this build knows.
pub(crate) fn latest(set: Migrations) -> i64 {
    set.last().map_or(0, |m| m.0)
}

#[derive(Debug)]
struct Embedded(Migrations);

impl<'s> MigrationSource<'s> for Embedded {
    fn resolve(self) -> BoxFuture<'s, Result<Vec<Migration>, BoxDynError>> {
        Box::pin(async move {
            Ok(self
                .0
                .iter()
                .map(|(version, description, sql)| {
                    Migration::new(
                        *version,
                        Cow::Borrowed(*description),
                        MigrationType::Simple,
                        Cow::Borrowed(*sql),
                        false,
                    )
                })
                .collect())
        })
    }
}

pub(crate) async fn run(pool: &SqlitePool, set: Migrations) -> Result<(), String> {
    let migrator = Migrator::new(Embedded(set))
        .await
        .map_err(|e| e.to_string())?;
    migrator.run(pool).await.map_err(|e| e.to_string())
}
