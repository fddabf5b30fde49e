//! Schema migrations, embedded in the binary and applied with sqlx's
//! migrator (which records them in `_sqlx_migrations` with checksums).

use std::borrow::Cow;

use futures_core::future::BoxFuture;
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::SqlitePool;

/// (version, description, SQL), in order. Append only: never edit a
/// released migration.
const MIGRATIONS: &[(i64, &str, &str)] = &[
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
];

/// The newest schema version this build knows.
pub(crate) const LATEST: i64 = MIGRATIONS[MIGRATIONS.len() - 1].0;

#[derive(Debug)]
struct Embedded;

impl<'s> MigrationSource<'s> for Embedded {
    fn resolve(self) -> BoxFuture<'s, Result<Vec<Migration>, BoxDynError>> {
        Box::pin(async {
            Ok(MIGRATIONS
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

pub(crate) async fn run(pool: &SqlitePool) -> Result<(), String> {
    let migrator = Migrator::new(Embedded).await.map_err(|e| e.to_string())?;
    migrator.run(pool).await.map_err(|e| e.to_string())
}
