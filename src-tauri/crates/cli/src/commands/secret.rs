//! `readyroom secret set|list|rm`: keychain entries referenced by the config.

use std::io::{IsTerminal, Read};

use readyroom_core::Sensitive;
use readyroom_secrets::{Origin, SecretStore};
use serde::Serialize;

use crate::args::{Global, SecretListArgs, SecretNameArgs};
use crate::exit::{self, Failure};
use crate::{render, setup};

/// Read at most this much from stdin: a secret is small; a mistaken pipe
/// of a big file must not be stored.
const MAX_SECRET_BYTES: u64 = 64 * 1024;

pub fn set(args: SecretNameArgs) -> Result<u8, Failure> {
    readyroom_core::config::check_secret_name(&args.name).map_err(Failure::usage)?;
    let value = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(format!("Value for secret '{}' (input hidden): ", args.name))
            .map_err(|e| Failure::error(format!("cannot read the secret from the terminal: {e}")))?
    } else {
        let mut buf = String::new();
        std::io::stdin()
            .take(MAX_SECRET_BYTES + 1)
            .read_to_string(&mut buf)
            .map_err(|e| {
                Failure::error(format!("cannot read the secret from standard input: {e}"))
            })?;
        if buf.len() as u64 > MAX_SECRET_BYTES {
            return Err(Failure::error(
                "standard input holds more than 64 KiB; that is not a secret. Nothing was stored",
            ));
        }
        buf
    };
    // A trailing newline comes from `echo` or a file, never from the secret.
    let value = value.trim_end_matches(['\n', '\r']).to_string();
    SecretStore::new().set(&args.name, Sensitive::new(value))?;
    eprintln!("stored secret '{}' in the OS keychain", args.name);
    Ok(exit::OK)
}

pub fn remove(args: SecretNameArgs) -> Result<u8, Failure> {
    readyroom_core::config::check_secret_name(&args.name).map_err(Failure::usage)?;
    if SecretStore::new().remove(&args.name)? {
        eprintln!("removed secret '{}' from the OS keychain", args.name);
        Ok(exit::OK)
    } else {
        Err(Failure::error(format!(
            "secret '{}' is not in the OS keychain; nothing removed",
            args.name
        )))
    }
}

/// One row of `secret list`; never holds a value.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretRow {
    pub name: String,
    pub environment: String,
    pub key: String,
    pub set: bool,
    /// "keychain", "environment" or null.
    pub from: Option<&'static str>,
    pub env_var: String,
    pub problem: Option<String>,
}

pub fn list(global: &Global, args: SecretListArgs) -> Result<u8, Failure> {
    let loaded = setup::load_config(global)?;
    let config = loaded.config();
    if let Some(env) = &args.env {
        config.environment(Some(env)).map_err(Failure::usage)?;
    }
    let store = SecretStore::new();
    let mut rows = Vec::new();
    for (env_name, env) in &config.environments {
        if args.env.as_ref().is_some_and(|e| e != env_name) {
            continue;
        }
        for (key, name) in env.secret_refs() {
            let status = store.status(name);
            rows.push(SecretRow {
                name: name.to_string(),
                environment: env_name.clone(),
                key: key.to_string(),
                set: status.origin.is_some(),
                from: status.origin.map(|o| match o {
                    Origin::Keychain => "keychain",
                    Origin::Environment => "environment",
                }),
                env_var: readyroom_secrets::env_var_name(name),
                problem: status.problem,
            });
        }
    }
    print!("{}", render::secrets(&rows, args.format));
    Ok(exit::OK)
}
