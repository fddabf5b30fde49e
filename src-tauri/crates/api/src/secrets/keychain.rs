//! Keychain calls, off the async workers and bounded in time: a locked
//! keychain showing a prompt nobody answers must not stall a run, the
//! Secrets view or anything queued behind them.

use std::sync::Arc;
use std::time::Duration;

use readyroom_secrets::SecretStore;

use crate::{ApiError, ErrorCode};

/// How long one keychain call may take by default. Long enough to type a
/// password into an unlock prompt; short enough that a forgotten prompt
/// does not look like a hung app.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

/// Runs `call` on a blocking thread; past `timeout` it is abandoned (the
/// thread finishes on its own) and the caller gets a clear error.
pub(crate) async fn call<T: Send + 'static>(
    store: Arc<dyn SecretStore>,
    timeout: Duration,
    call: impl FnOnce(&dyn SecretStore) -> T + Send + 'static,
) -> Result<T, ApiError> {
    let task = tokio::task::spawn_blocking(move || call(store.as_ref()));
    match tokio::time::timeout(timeout, task).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(ApiError::new(
            ErrorCode::SecretsUnavailable,
            format!("the keychain call failed ({e})"),
        )),
        Err(_) => Err(not_answered(timeout)),
    }
}

pub(crate) fn not_answered(timeout: Duration) -> ApiError {
    ApiError::new(
        ErrorCode::SecretsUnavailable,
        format!(
            "the keychain did not answer within {} s; it may be locked and waiting for its unlock prompt. Unlock it (or provide the secret as READYROOM_SECRET_<NAME>) and try again",
            timeout.as_secs()
        ),
    )
}
