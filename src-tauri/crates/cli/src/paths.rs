//! Where the config and the local store live.

use std::path::PathBuf;

use directories::ProjectDirs;

use crate::args::Global;

fn project_dirs() -> Option<ProjectDirs> {
    ProjectDirs::from("dev", "readyroom", "readyroom")
}

/// `--config`, else `READYROOM_CONFIG`, else `<config dir>/readyroom/config.toml`.
pub fn config_file(global: &Global) -> Option<PathBuf> {
    global
        .config
        .clone()
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
