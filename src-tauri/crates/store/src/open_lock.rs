//! One process at a time opens and migrates a store: two Readyrooms
//! starting at once on a fresh store would otherwise both try to create
//! its tables. SQLite's own locks do not cover this (sqlx's SQLite migrator
//! takes no lock, and a deferred transaction that upgrades to a write can
//! fail at once instead of waiting), so an exclusive lock on a sidecar file
//! (`<store>.lock`) is held while the store is opened and migrated.

use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Held while opening; the lock is released when this is dropped.
pub(crate) struct OpenLock {
    _file: File,
}

pub(crate) fn lock_path(store: &Path) -> PathBuf {
    let mut name = store.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// Waits up to `patience` for the lock. Polls rather than blocking a
/// thread, so a stuck holder costs a clear error, not a hang.
pub(crate) async fn acquire(store: &Path, patience: Duration) -> Result<OpenLock, String> {
    let path = lock_path(store);
    let file = crate::private::open_lock_file(&path)
        .map_err(|e| format!("cannot create the lock file {}: {e}", path.display()))?;
    let started = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(OpenLock { _file: file }),
            Err(TryLockError::WouldBlock) if started.elapsed() < patience => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(TryLockError::WouldBlock) => {
                return Err(format!(
                    "another process has been opening it for more than {} s (it holds {})",
                    patience.as_secs(),
                    path.display()
                ))
            }
            Err(TryLockError::Error(e)) => {
                return Err(format!("cannot lock {}: {e}", path.display()))
            }
        }
    }
}
