//! Secrets: the OS keychain (service `readyroom`), with a per-secret
//! environment variable override for CI runs.
//!
//! Values travel only inside [`Sensitive`]; errors name the secret and what
//! to do, never its value.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use readyroom_core::Sensitive;

/// The keychain service every Readyroom secret is filed under.
pub const SERVICE: &str = "readyroom";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the OS keychain is not available ({detail}). Start a Secret Service (for example gnome-keyring) in this session, or provide the secret in the environment variable {env_var}")]
    Unavailable { detail: String, env_var: String },
    #[error("the keychain refused access to secret '{name}' ({detail}); unlock the keychain and try again")]
    Locked { name: String, detail: String },
    #[error("keychain error for secret '{name}': {detail}")]
    Other { name: String, detail: String },
    #[error("invalid secret name: {0}")]
    InvalidName(String),
    #[error("the value for secret '{0}' is empty; nothing was stored")]
    EmptyValue(String),
}

pub type Result<T> = std::result::Result<T, Error>;

/// Where a secret's value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Environment,
    Keychain,
}

/// Whether a referenced secret can be resolved, without its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub name: String,
    pub origin: Option<Origin>,
    /// Why it could not be checked (keychain unavailable), if so.
    pub problem: Option<String>,
}

/// `READYROOM_SECRET_<NAME>` (the config's rule, where two names that map
/// to one variable are an error).
pub use readyroom_core::config::secret_env_var as env_var_name;

/// Where secrets are kept, by name (the port; ARCHITECTURE.md). Calls
/// may block: callers on an async runtime run them with `spawn_blocking`.
pub trait SecretStore: Send + Sync {
    fn get(&self, name: &str) -> Result<Option<(Sensitive<String>, Origin)>>;
    fn set(&self, name: &str, value: Sensitive<String>) -> Result<()>;
    /// Removes the entry. `Ok(false)` if there was none.
    fn remove(&self, name: &str) -> Result<bool>;

    fn status(&self, name: &str) -> Status {
        match self.get(name) {
            Ok(found) => Status {
                name: name.to_string(),
                origin: found.map(|(_, o)| o),
                problem: None,
            },
            Err(e) => Status {
                name: name.to_string(),
                origin: None,
                problem: Some(e.to_string()),
            },
        }
    }
}

/// `READYROOM_SECRET_*` values moved out of the process environment.
static ADOPTED: OnceLock<BTreeMap<String, Sensitive<String>>> = OnceLock::new();

/// Moves every `READYROOM_SECRET_*` variable out of the process environment
/// into memory, so child processes (WebKit's, a deploy command) never
/// inherit them. Call first in `main`, before any thread starts (changing
/// the environment races with threads reading it). Returns how many.
pub fn adopt_env_secrets() -> usize {
    let found: Vec<(String, String)> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .filter(|(k, _)| k.starts_with("READYROOM_SECRET_"))
        .collect();
    let mut adopted = BTreeMap::new();
    for (key, value) in found {
        std::env::remove_var(&key);
        if !value.is_empty() {
            adopted.insert(key, Sensitive::new(value));
        }
    }
    let count = adopted.len();
    let _ = ADOPTED.set(adopted);
    count
}

/// The value of `READYROOM_SECRET_<NAME>`: adopted at start, or (in a
/// process that did not adopt them) read from the environment.
fn env_secret(name: &str) -> Option<Sensitive<String>> {
    let var = env_var_name(name);
    match ADOPTED.get() {
        Some(adopted) => adopted.get(&var).cloned(),
        None => std::env::var(&var)
            .ok()
            .filter(|v| !v.is_empty())
            .map(Sensitive::new),
    }
}

/// The OS keychain, with `READYROOM_SECRET_<NAME>` taking precedence
/// (explicit for this run, for CI).
#[derive(Debug, Clone, Default)]
pub struct KeyringStore {
    _private: (),
}

impl KeyringStore {
    pub fn new() -> Self {
        Self::default()
    }
}

impl SecretStore for KeyringStore {
    fn get(&self, name: &str) -> Result<Option<(Sensitive<String>, Origin)>> {
        check_name(name)?;
        if let Some(value) = env_secret(name) {
            return Ok(Some((value, Origin::Environment)));
        }
        let owned = name.to_string();
        off_runtime(move || match entry(&owned)?.get_password() {
            Ok(v) => Ok(Some((Sensitive::new(v), Origin::Keychain))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_err(&owned, e)),
        })
    }

    fn set(&self, name: &str, value: Sensitive<String>) -> Result<()> {
        check_value(name, &value)?;
        let owned = name.to_string();
        off_runtime(move || {
            entry(&owned)?
                .set_password(value.expose())
                .map_err(|e| map_err(&owned, e))
        })
    }

    fn remove(&self, name: &str) -> Result<bool> {
        check_name(name)?;
        let owned = name.to_string();
        off_runtime(move || match entry(&owned)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(map_err(&owned, e)),
        })
    }
}

/// Secrets held in memory for one process: the command API's test host
/// uses it so handler tests never touch the real keychain.
#[derive(Debug, Default)]
pub struct MemoryStore {
    values: std::sync::Mutex<std::collections::BTreeMap<String, Sensitive<String>>>,
}

impl SecretStore for MemoryStore {
    fn get(&self, name: &str) -> Result<Option<(Sensitive<String>, Origin)>> {
        check_name(name)?;
        let values = self.values.lock().unwrap_or_else(|p| p.into_inner());
        Ok(values.get(name).map(|v| (v.clone(), Origin::Keychain)))
    }

    fn set(&self, name: &str, value: Sensitive<String>) -> Result<()> {
        check_value(name, &value)?;
        let mut values = self.values.lock().unwrap_or_else(|p| p.into_inner());
        values.insert(name.to_string(), value);
        Ok(())
    }

    fn remove(&self, name: &str) -> Result<bool> {
        check_name(name)?;
        let mut values = self.values.lock().unwrap_or_else(|p| p.into_inner());
        Ok(values.remove(name).is_some())
    }
}

fn check_value(name: &str, value: &Sensitive<String>) -> Result<()> {
    check_name(name)?;
    if value.expose().is_empty() {
        return Err(Error::EmptyValue(name.to_string()));
    }
    Ok(())
}

fn check_name(name: &str) -> Result<()> {
    readyroom_core::config::check_secret_name(name).map_err(Error::InvalidName)
}

fn entry(name: &str) -> Result<keyring::Entry> {
    keyring::Entry::new(SERVICE, name).map_err(|e| map_err(name, e))
}

fn map_err(name: &str, e: keyring::Error) -> Error {
    match e {
        keyring::Error::PlatformFailure(inner) | keyring::Error::NoStorageAccess(inner) => {
            let detail = inner.to_string();
            if detail.to_ascii_lowercase().contains("locked")
                || detail.to_ascii_lowercase().contains("prompt")
            {
                Error::Locked {
                    name: name.to_string(),
                    detail,
                }
            } else {
                Error::Unavailable {
                    detail,
                    env_var: env_var_name(name),
                }
            }
        }
        other => Error::Other {
            name: name.to_string(),
            detail: other.to_string(),
        },
    }
}

/// Runs a keychain call on its own OS thread: the Secret Service client
/// blocks on its own executor and deadlocks if called from a tokio worker
/// (keyring's documentation, "Tokio runtime caution").
fn off_runtime<T: Send>(f: impl FnOnce() -> Result<T> + Send) -> Result<T> {
    std::thread::scope(|s| {
        s.spawn(f).join().unwrap_or_else(|_| {
            Err(Error::Other {
                name: String::new(),
                detail: "the keychain client panicked".into(),
            })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_var_names_are_upper_case_with_underscores() {
        assert_eq!(
            env_var_name("production/database-url"),
            "READYROOM_SECRET_PRODUCTION_DATABASE_URL"
        );
        assert_eq!(env_var_name("a.b"), "READYROOM_SECRET_A_B");
    }

    #[test]
    fn the_memory_store_keeps_values_and_refuses_empty_ones() {
        let store = MemoryStore::default();
        store
            .set("prod/db", Sensitive::new("postgres://x".into()))
            .expect("set");
        assert_eq!(store.status("prod/db").origin, Some(Origin::Keychain));
        assert!(matches!(
            store.set("prod/db", Sensitive::new(String::new())),
            Err(Error::EmptyValue(_))
        ));
        assert!(store.remove("prod/db").expect("remove"));
        assert!(!store.remove("prod/db").expect("remove again"));
        assert_eq!(store.status("prod/db").origin, None);
    }

    #[test]
    fn adopted_secrets_leave_the_environment_and_children_never_see_them() {
        // The only test in this crate that touches the environment.
        let var = "READYROOM_SECRET_ADOPTION_TEST";
        std::env::set_var(var, "Hunter2-adopted");
        assert!(adopt_env_secrets() >= 1);
        assert!(std::env::var_os(var).is_none(), "removed from the process");
        let child = std::process::Command::new("env").output().expect("run env");
        assert!(child.status.success());
        assert!(
            !String::from_utf8_lossy(&child.stdout).contains("Hunter2-adopted"),
            "a child process does not inherit it"
        );
        let (value, origin) = KeyringStore::new()
            .get("adoption.test")
            .expect("get")
            .expect("still resolves");
        assert_eq!(value.expose(), "Hunter2-adopted");
        assert_eq!(origin, Origin::Environment);
    }

    #[test]
    fn invalid_names_are_refused_before_the_keychain() {
        let err = KeyringStore::new().get("has space").expect_err("invalid");
        assert!(matches!(err, Error::InvalidName(_)));
    }
}
