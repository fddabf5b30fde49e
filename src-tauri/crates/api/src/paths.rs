//! Where the config and the local store live: shared by the CLI, the
//! server and the desktop app so they all read the same files.

use std::path::PathBuf;

use directories::ProjectDirs;

fn project_dirs() -> Option<ProjectDirs> {
    ProjectDirs::from("dev", "readyroom", "readyroom")
}

/// `--config` (the `explicit` argument), else `READYROOM_CONFIG`, else
/// `<config dir>/readyroom/config.toml`.
pub fn config_file(explicit: Option<&std::path::Path>) -> Option<PathBuf> {
    explicit
        .map(std::path::Path::to_path_buf)
        .or_else(|| {
            std::env::var_os("READYROOM_CONFIG")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
        .or_else(|| project_dirs().map(|d| d.config_dir().join("config.toml")))
}

/// `READYROOM_DATA_DIR`, else the platform data dir.
pub fn data_dir() -> Option<PathBuf> {
    std::env::var_os("READYROOM_DATA_DIR")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| project_dirs().map(|d| d.data_dir().to_path_buf()))
}

pub fn store_file() -> Option<PathBuf> {
    data_dir().map(|d| d.join("readyroom.db"))
}

/// The span store, beside the run store.
pub fn spans_file() -> Option<PathBuf> {
    store_file().map(|f| crate::traces::spans_path(&f))
}
