use readyroom_core::evidence::Evidence;
use readyroom_core::rubric::Rubric;
use time::macros::datetime;
use time::Duration;

use super::*;

fn card(env: &str, at: OffsetDateTime) -> Scorecard {
    Scorecard::compute(&Rubric::default_rubric(), &Evidence::empty(env, at))
}

#[tokio::test]
async fn runs_round_trip_and_history_is_newest_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("nested/store.db"))
        .await
        .expect("open");
    let t0 = datetime!(2026-11-20 10:00 UTC);
    let sample = HealthSample {
        at: t0,
        healthy: true,
        latency_ms: Some(12.0),
        version: Some("2.14.0".into()),
        commit: Some("3f9c2ab".into()),
        sound: true,
    };
    store
        .save_run(&card("prod", t0), Some(&sample))
        .await
        .expect("save");
    store
        .save_run(&card("prod", t0 + Duration::hours(1)), None)
        .await
        .expect("save");
    store
        .save_run(&card("staging", t0), None)
        .await
        .expect("save");
    let recent = store.recent("prod", 1).await.expect("latest");
    let latest = recent.cards.first().expect("some").clone();
    assert_eq!(latest.measured_at, t0 + Duration::hours(1));
    assert_eq!(latest, card("prod", t0 + Duration::hours(1)));
    let prod = store.history(Some("prod"), 10).await.expect("history");
    assert_eq!(prod.len(), 2);
    assert!(prod[0].measured_at > prod[1].measured_at);
    assert_eq!(store.history(None, 10).await.expect("all").len(), 3);
    let up = store
        .uptime("prod", t0 - Duration::days(1))
        .await
        .expect("uptime")
        .expect("samples");
    assert_eq!((up.samples, up.healthy), (1, 1));
    assert!(store.uptime("staging", t0).await.expect("uptime").is_none());
    let releases = store.release_health("prod").await.expect("releases");
    assert_eq!(
        releases,
        [readyroom_core::deploys::ReleaseHealth {
            version: Some("2.14.0".into()),
            commit: Some("3f9c2ab".into()),
            samples: 1,
            healthy: 1,
        }]
    );
    assert!(store
        .release_health("staging")
        .await
        .expect("none")
        .is_empty());
}

#[test]
fn stored_times_sort_as_text_in_time_order() {
    let whole = datetime!(2026-11-20 10:00:40 UTC);
    let later = whole + Duration::milliseconds(500);
    assert!(
        rfc3339(whole) < rfc3339(later),
        "{} vs {}",
        rfc3339(whole),
        rfc3339(later)
    );
    assert_eq!(parse_time("test", &rfc3339(later)).expect("parses"), later);
}

#[tokio::test]
async fn reopening_keeps_data_and_does_not_rerun_migrations() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("store.db");
    let store = Store::open(&path).await.expect("open");
    store
        .save_run(&card("prod", datetime!(2026-11-20 10:00 UTC)), None)
        .await
        .expect("save");
    store.close().await;
    let again = Store::open(&path).await.expect("reopen");
    assert_eq!(again.history(None, 10).await.expect("history").len(), 1);
}

#[tokio::test]
async fn an_unwritable_location_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "x").expect("write");
    let err = Store::open(&file.join("store.db"))
        .await
        .expect_err("cannot open");
    assert!(
        err.to_string()
            .starts_with("cannot open the local store at"),
        "{err}"
    );
}

#[tokio::test]
async fn rows_written_before_row_formats_read_back_and_unreadable_ones_are_skipped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("store.db"))
        .await
        .expect("open");
    let t0 = datetime!(2026-11-20 10:00 UTC);
    // The first release stored the wire JSON of the scorecard, with no
    // format column (the migration gives such rows format 1).
    let old = card("prod", t0);
    let wire = serde_json::to_string(&old).expect("json");
    sqlx::query(
        "INSERT INTO scorecard_runs (environment, measured_at, score, grade, coverage, scorecard) VALUES ('prod', ?, 0, 'F', 0, ?)",
    )
    .bind(rfc3339(t0))
    .bind(&wire)
    .execute(&store.pool)
    .await
    .expect("insert");
    assert_eq!(
        store.recent("prod", 1).await.expect("read").cards,
        vec![old.clone()]
    );

    // A row from a newer Readyroom, then a damaged one, both newer than
    // the readable row.
    for (hours, text, format) in [(1, "{}", 2), (2, "{not json", 1)] {
        sqlx::query(
            "INSERT INTO scorecard_runs (environment, measured_at, score, grade, coverage, scorecard, format) VALUES ('prod', ?, 0, 'F', 0, ?, ?)",
        )
        .bind(rfc3339(t0 + Duration::hours(hours)))
        .bind(text)
        .bind(format)
        .execute(&store.pool)
        .await
        .expect("insert");
    }
    let recent = store
        .recent("prod", 2)
        .await
        .expect("bad rows do not fail the read");
    assert_eq!(recent.cards, vec![old], "the readable row is still found");
    assert_eq!(recent.skipped.len(), 2, "{:?}", recent.skipped);
    assert!(
        recent.skipped[0].contains("damaged")
            && recent.skipped[1].contains("row format 2, written by a newer Readyroom"),
        "{:?}",
        recent.skipped
    );
    // New runs are still saved and read first.
    let newer = card("prod", t0 + Duration::hours(3));
    store
        .save_run(&newer, None)
        .await
        .expect("save after bad rows");
    assert_eq!(
        store.recent("prod", 1).await.expect("read").cards,
        vec![newer]
    );
    assert_eq!(
        store
            .history(Some("prod"), 10)
            .await
            .expect("history")
            .len(),
        4
    );
}

#[tokio::test]
async fn a_store_from_a_newer_readyroom_is_refused_plainly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("store.db");
    let store = Store::open(&path).await.expect("open");
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (99, 'future', 1, x'00', 0)",
    )
    .execute(&store.pool)
    .await
    .expect("insert");
    store.close().await;
    let err = Store::open(&path).await.expect_err("newer schema");
    assert!(
        err.to_string()
            .contains("written by a newer Readyroom (schema version 99; this one knows up to"),
        "{err}"
    );
}

#[tokio::test]
async fn a_file_that_is_not_sqlite_is_named_and_left_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("readyroom.db");
    let text = "these are someone's notes, not a database\n".repeat(100);
    std::fs::write(&path, &text).expect("write");
    let err = Store::open(&path).await.expect_err("not sqlite");
    assert!(
        err.to_string()
            .contains("is not a Readyroom store (it is not an SQLite database)"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&path).expect("read"), text);
}

#[tokio::test]
async fn a_store_locked_by_another_connection_for_a_while_waits_then_saves() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("store.db");
    let store = Store::open(&path).await.expect("open");
    // Another connection (as another process would) holds the write lock.
    let other = Store::open(&path).await.expect("second handle");
    let held = other
        .pool
        .begin_with("BEGIN IMMEDIATE")
        .await
        .expect("lock");
    let release = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        held.rollback().await.expect("release");
    });
    store.ready_to_write().await.expect("waits for the lock");
    store
        .save_run(&card("prod", datetime!(2026-11-20 10:00 UTC)), None)
        .await
        .expect("saved");
    release.await.expect("released");
    assert_eq!(store.history(None, 10).await.expect("history").len(), 1);
}

#[tokio::test]
async fn two_handles_opening_a_fresh_store_at_once_both_work() {
    for _ in 0..5 {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("store.db");
        let (a, b) = tokio::join!(Store::open(&path), Store::open(&path));
        let (a, b) = (a.expect("first"), b.expect("second"));
        let t0 = datetime!(2026-11-20 10:00 UTC);
        a.save_run(&card("prod", t0), None).await.expect("save a");
        b.save_run(&card("prod", t0), None).await.expect("save b");
        assert_eq!(a.history(None, 10).await.expect("history").len(), 2);
    }
}

#[tokio::test]
async fn runs_after_lists_what_others_stored_since() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("store.db"))
        .await
        .expect("open");
    assert_eq!(store.last_run_id().await.expect("id"), None);
    let t0 = datetime!(2026-11-20 10:00 UTC);
    let first = store.save_run(&card("prod", t0), None).await.expect("save");
    let second = store
        .save_run(&card("staging", t0), None)
        .await
        .expect("save");
    assert_eq!(store.last_run_id().await.expect("id"), Some(second));
    let after: Vec<(i64, String)> = store
        .runs_after(first)
        .await
        .expect("after")
        .into_iter()
        .map(|r| (r.id, r.environment))
        .collect();
    assert_eq!(after, vec![(second, "staging".to_string())]);
}

#[cfg(unix)]
#[tokio::test]
async fn the_store_and_its_folder_are_private_whatever_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = dir.path().join("data");
    // A folder left world-readable (an older version, a wide umask).
    std::fs::create_dir(&folder).expect("mkdir");
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let path = folder.join("readyroom.db");
    let store = Store::open(&path).await.expect("open");
    store
        .save_run(&card("prod", datetime!(2026-11-20 10:00 UTC)), None)
        .await
        .expect("save");
    let mode =
        |p: &std::path::Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode(&folder), 0o700);
    for file in ["readyroom.db", "readyroom.db-wal", "readyroom.db-shm"] {
        let p = folder.join(file);
        if p.exists() {
            assert_eq!(mode(&p), 0o600, "{file}");
        }
    }
    assert!(
        folder.join("readyroom.db-wal").exists(),
        "WAL mode makes a -wal file"
    );
    store.close().await;
}
