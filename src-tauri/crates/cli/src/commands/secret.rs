//! `readyroom secret set|list|rm`: keychain entries referenced by the config.

use std::io::{IsTerminal, Read};

use readyroom_core::Sensitive;
use readyroom_secrets::SecretStore;

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

pub async fn list(global: &Global, args: SecretListArgs) -> Result<u8, Failure> {
    let parsed = setup::load_config(global)?;
    let config = &parsed.config;
    if let Some(env) = &args.env {
        config.environment(Some(env)).map_err(Failure::usage)?;
    }
    let rows = readyroom_api::secret_rows(config, args.env.as_deref()).await;
    print!("{}", render::secrets(&rows, args.format));
    Ok(exit::OK)
}
