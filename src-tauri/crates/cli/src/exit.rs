//! Exit codes, as documented in the README: 0 ok, 1 error, 2 usage error,
//! 3 a gate failed (`score --fail-under`), 130 quit by a second Ctrl-C.

use readyroom_api::{ApiError, ErrorCode};

pub const OK: u8 = 0;
pub const ERROR: u8 = 1;
pub const USAGE: u8 = 2;
pub const GATE_FAILED: u8 = 3;
/// 128 + SIGINT, as shells report a process ended by Ctrl-C.
pub const INTERRUPTED: u8 = 130;

/// A command that could not do its job, with the code to exit with.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn error(message: impl Into<String>) -> Self {
        Failure {
            code: ERROR,
            message: message.into(),
        }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Failure {
            code: USAGE,
            message: message.into(),
        }
    }
}

/// The one mapping from the application layer's errors to exit codes, so
/// every command agrees: a wrong argument (an unknown `--env`, an invalid
/// secret name) is a usage error, everything else an error.
impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        match e.code {
            ErrorCode::UnknownEnvironment | ErrorCode::InvalidRequest => Failure::usage(e.message),
            _ => Failure::error(e.message),
        }
    }
}
