//! Writing the config file from the app or the CLI (issue 14): edits
//! applied to the TOML document (comments, order and unknown keys kept),
//! the result validated with `config check`'s rules, then written
//! atomically (a temporary file in the same folder, synced, renamed over)
//! with the previous file kept as `config.toml.bak`. A file changed on disk
//! since the caller read it is never overwritten silently.

use std::io::Write;
use std::path::{Path, PathBuf};

use readyroom_core::config::edit::{self, ConfigEdit};
use readyroom_core::config::Config;
use readyroom_core::source_text::Problem;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use ts_rs::TS;

use crate::{Api, ApiError, ErrorCode};

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct EditConfigRequest {
    pub edits: Vec<ConfigEdit>,
    /// The file's revision when it was read (`revision` of an earlier
    /// answer or of `get_config_file`; "" for "no file yet"). Without it,
    /// the file as it is now is edited.
    #[serde(default)]
    #[ts(optional)]
    pub revision: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConfigFile {
    pub path: String,
    pub exists: bool,
    /// SHA-256 of the file's bytes ("" when there is none): what an edit
    /// passes back so that a change made meanwhile is noticed.
    pub revision: String,
    /// The environments it defines, in file order.
    pub environments: Vec<String>,
    /// Where the previous file was kept, after a write that replaced one.
    #[ts(optional)]
    pub backup: Option<String>,
}

pub(crate) fn revision_of(bytes: Option<&[u8]>) -> String {
    match bytes {
        None => String::new(),
        Some(b) => Sha256::digest(b)
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect(),
    }
}

pub(crate) fn config_path(api: &Api) -> Result<PathBuf, ApiError> {
    api.config_path().ok_or_else(|| {
        ApiError::new(
            ErrorCode::ConfigMissing,
            "no config file location: pass --config FILE or set READYROOM_CONFIG",
        )
    })
}

pub(crate) fn read(path: &Path) -> Result<Option<Vec<u8>>, ApiError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ApiError::new(
            ErrorCode::SetupFailed,
            format!("cannot read the config file {}: {e}", path.display()),
        )),
    }
}

fn names(text: &str) -> Vec<String> {
    edit::document(text)
        .ok()
        .and_then(|doc| {
            doc.get("environments")
                .and_then(|e| e.as_table())
                .map(|t| t.iter().map(|(k, _)| k.to_string()).collect())
        })
        .unwrap_or_default()
}

/// The config file: where, whether it exists, its revision.
pub(crate) async fn get_config_file(
    api: &Api,
    _: crate::commands::Empty,
) -> Result<ConfigFile, ApiError> {
    let path = config_path(api)?;
    let bytes = read(&path)?;
    Ok(ConfigFile {
        path: path.display().to_string(),
        exists: bytes.is_some(),
        revision: revision_of(bytes.as_deref()),
        environments: bytes
            .as_deref()
            .map(|b| names(&String::from_utf8_lossy(b)))
            .unwrap_or_default(),
        backup: None,
    })
}

fn changed(path: &Path) -> ApiError {
    ApiError::new(
        ErrorCode::ConfigChanged,
        format!(
            "{} changed on disk since it was read; nothing was written. Read it again and make the change again",
            path.display()
        ),
    )
}

pub(crate) async fn edit_config(api: &Api, r: EditConfigRequest) -> Result<ConfigFile, ApiError> {
    let path = config_path(api)?;
    let before = read(&path)?;
    let revision = revision_of(before.as_deref());
    if r.revision
        .as_ref()
        .is_some_and(|wanted| *wanted != revision)
    {
        return Err(changed(&path));
    }
    let (written, _) = edited(&path, before.as_deref(), &r.edits)?;
    let backup = write_atomically(&path, written.as_bytes(), &revision)?;
    Ok(ConfigFile {
        path: path.display().to_string(),
        exists: true,
        revision: revision_of(Some(written.as_bytes())),
        environments: names(&written),
        backup: backup.map(|b| b.display().to_string()),
    })
}

/// The file's text (`before`, or a new file's) with `edits` applied, and
/// the config it makes, validated as `config check` does; refused with
/// the reason otherwise.
fn edited(
    path: &Path,
    before: Option<&[u8]>,
    edits: &[ConfigEdit],
) -> Result<(String, Config), ApiError> {
    let (written, checked) = checked(path, before, edits)?;
    match checked {
        Ok(config) => Ok((written, config)),
        Err(problems) => {
            let list: Vec<String> = problems
                .iter()
                .map(|p| format!("{}: {}", p.path, p.message))
                .collect();
            Err(ApiError::new(
                ErrorCode::ConfigInvalid,
                format!(
                    "not saved: the config would have {} problem(s): {}",
                    problems.len(),
                    list.join("; ")
                ),
            ))
        }
    }
}

/// The text `edits` make of the file, and the config it parses to or every
/// problem `config check` would report in it. `Err` when an edit cannot be
/// applied at all (an unknown environment, a file that is not TOML).
pub(crate) fn checked(
    path: &Path,
    before: Option<&[u8]>,
    edits: &[ConfigEdit],
) -> Result<(String, Result<Config, Vec<Problem>>), ApiError> {
    let text = match before {
        Some(bytes) => String::from_utf8(bytes.to_vec()).map_err(|_| {
            ApiError::new(
                ErrorCode::ConfigInvalid,
                format!("{} is not UTF-8 text; fix it by hand first", path.display()),
            )
        })?,
        None => edit::NEW_FILE.to_string(),
    };
    let mut doc = edit::document(&text).map_err(|e| ApiError::new(ErrorCode::ConfigInvalid, e))?;
    for e in edits {
        edit::apply(&mut doc, e).map_err(|why| ApiError::new(ErrorCode::InvalidRequest, why))?;
    }
    let written = doc.to_string();
    let base = path.parent().unwrap_or(Path::new("."));
    let config = Config::parse(&written, base).map(|parsed| parsed.config);
    Ok((written, config))
}

/// Writes `bytes` to `path` through a synced temporary file renamed over
/// it, keeping the previous file as `NAME.bak`; refuses when the file is
/// no longer at `revision`.
fn write_atomically(
    path: &Path,
    bytes: &[u8],
    revision: &str,
) -> Result<Option<PathBuf>, ApiError> {
    let failed = |what: &str, e: std::io::Error| {
        ApiError::new(
            ErrorCode::SetupFailed,
            format!(
                "cannot write the config file {} ({what}: {e}); the old one is unchanged",
                path.display()
            ),
        )
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| failed("creating its folder", e))?;
    let mut temp = tempfile::Builder::new()
        .prefix(".config-")
        .suffix(".toml.tmp")
        .tempfile_in(dir)
        .map_err(|e| failed("a temporary file beside it", e))?;
    temp.write_all(bytes).map_err(|e| failed("writing", e))?;
    temp.as_file()
        .sync_all()
        .map_err(|e| failed("syncing", e))?;
    // The last look before the rename: an editor that saved meanwhile wins.
    let now = read(path)?;
    if revision_of(now.as_deref()) != revision {
        return Err(changed(path));
    }
    let backup = match &now {
        Some(old) => {
            let mut name = path.file_name().unwrap_or_default().to_os_string();
            name.push(".bak");
            let backup = path.with_file_name(name);
            std::fs::write(&backup, old).map_err(|e| failed("keeping the previous file", e))?;
            if let Ok(meta) = std::fs::metadata(path) {
                let _ = std::fs::set_permissions(temp.path(), meta.permissions());
            }
            Some(backup)
        }
        None => None,
    };
    temp.persist(path)
        .map_err(|e| failed("replacing it", e.error))?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(backup)
}
