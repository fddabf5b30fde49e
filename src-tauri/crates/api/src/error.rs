//! Errors as the UI sees them: a stable code to switch on, and a message for
//! people (what failed, where, what to do). Never a secret.

use serde::Serialize;
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ErrorCode {
    /// The request did not parse or named something invalid.
    InvalidRequest,
    /// No config file where one was expected.
    ConfigMissing,
    /// The config file has problems.
    ConfigInvalid,
    /// The environment named does not exist in the config.
    UnknownEnvironment,
    /// No environment was named and the config has no single default.
    NoEnvironment,
    /// The rubric file is invalid.
    RubricInvalid,
    /// The local store could not be opened or written.
    StoreFailed,
    /// The OS keychain is not available or refused.
    SecretsUnavailable,
    /// A local setup problem stopped the run (e.g. an unreadable ca_file).
    SetupFailed,
    /// What was asked for (a trace) is not stored.
    NotFound,
    /// A remote source the command reads (Tempo, Jaeger) failed or refused.
    SourceFailed,
    /// An action against production on a transport not started to take
    /// them (`serve` without `--allow-actions`).
    ActionsNotAllowed,
    /// An action the environment's config does not allow.
    ActionDisabled,
    /// An action whose typed confirmation did not match.
    NotConfirmed,
    /// The config file changed on disk since it was read: nothing written.
    ConfigChanged,
    Internal,
}

impl ErrorCode {
    /// The HTTP status for this error on the HTTP transport.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::InvalidRequest => 400,
            ErrorCode::UnknownEnvironment | ErrorCode::NotFound => 404,
            ErrorCode::NoEnvironment => 400,
            ErrorCode::ConfigMissing
            | ErrorCode::ConfigInvalid
            | ErrorCode::RubricInvalid
            | ErrorCode::SetupFailed => 422,
            ErrorCode::SecretsUnavailable => 503,
            ErrorCode::SourceFailed => 502,
            ErrorCode::ActionsNotAllowed | ErrorCode::ActionDisabled => 403,
            ErrorCode::NotConfirmed => 422,
            ErrorCode::ConfigChanged => 409,
            ErrorCode::StoreFailed | ErrorCode::Internal => 500,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "Invalid request",
            ErrorCode::ConfigMissing => "No config file",
            ErrorCode::ConfigInvalid => "Invalid config",
            ErrorCode::UnknownEnvironment => "Unknown environment",
            ErrorCode::NoEnvironment => "No environment chosen",
            ErrorCode::RubricInvalid => "Invalid rubric",
            ErrorCode::StoreFailed => "Local store failed",
            ErrorCode::SecretsUnavailable => "Keychain unavailable",
            ErrorCode::SetupFailed => "Setup problem",
            ErrorCode::NotFound => "Not found",
            ErrorCode::SourceFailed => "Source failed",
            ErrorCode::ActionsNotAllowed => "Actions not allowed here",
            ErrorCode::ActionDisabled => "Action disabled",
            ErrorCode::NotConfirmed => "Not confirmed",
            ErrorCode::ConfigChanged => "Config changed on disk",
            ErrorCode::Internal => "Internal error",
        }
    }
}

/// A command that failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, thiserror::Error)]
#[serde(rename_all = "camelCase")]
#[error("{message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
        }
    }
}

impl From<readyroom_store::Error> for ApiError {
    fn from(e: readyroom_store::Error) -> Self {
        ApiError::new(ErrorCode::StoreFailed, e.to_string())
    }
}
