//! `readyroom secret set|list|rm`: keychain entries referenced by the config.

use std::io::{IsTerminal, Read};

use readyroom_api::commands::{EnvironmentFilter, SecretName};
use readyroom_api::secrets::SetSecretRequest;

use crate::args::{Global, SecretListArgs, SecretNameArgs};
use crate::exit::{self, Failure};
use crate::{app, render};

/// Read at most this much from stdin: a secret is small; a mistaken pipe
/// of a big file must not be stored.
const MAX_SECRET_BYTES: u64 = 64 * 1024;

pub async fn set(global: &Global, args: SecretNameArgs) -> Result<u8, Failure> {
    // Refuse a bad name before asking for the value.
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
    let api = app::api(global)?;
    api.set_secret(SetSecretRequest::new(args.name.clone(), value))
        .await
        .map_err(|e| Failure::error(e.message))?;
    eprintln!("stored secret '{}' in the OS keychain", args.name);
    Ok(exit::OK)
}

pub async fn remove(global: &Global, args: SecretNameArgs) -> Result<u8, Failure> {
    let api = app::api(global)?;
    let removed = api
        .remove_secret(SecretName {
            name: args.name.clone(),
        })
        .await?;
    if removed.removed {
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
    let api = app::api(global)?;
    let view = api
        .list_secrets(EnvironmentFilter {
            environment: args.env,
        })
        .await?;
    print!("{}", render::secrets(&view.secrets, args.format));
    Ok(exit::OK)
}
