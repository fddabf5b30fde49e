//! Exit codes, as documented in the README: 0 ok, 1 error, 2 usage error,
//! 3 a gate failed (`score --fail-under`).

pub const OK: u8 = 0;
pub const ERROR: u8 = 1;
pub const USAGE: u8 = 2;
pub const GATE_FAILED: u8 = 3;

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

/// Library errors become plain errors (exit 1) with their own message.
impl<E: std::error::Error> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure::error(e.to_string())
    }
}
