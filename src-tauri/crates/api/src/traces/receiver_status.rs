//! What the OTLP receiver service is doing, for the Traces view's empty
//! and error states: where it listens (the endpoint to give an SDK), or
//! why a protocol is not listening and what to change.

use std::sync::Mutex;

use serde::Serialize;
use ts_rs::TS;

use crate::commands::Empty;
use crate::{Api, ApiError};

#[derive(Debug, Clone, Default, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReceiverStatus {
    /// `notStarted` (a one-shot command, or before start), `off` (the
    /// config turns it off), `running`, or `failed` (nothing listens).
    pub state: ReceiverState,
    /// Each protocol listening: `OTLP/HTTP` or `OTLP/gRPC`, and where.
    pub listening: Vec<Listening>,
    /// Why a protocol is not listening, with the setting to change.
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ReceiverState {
    #[default]
    NotStarted,
    Off,
    Running,
    Failed,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Listening {
    pub protocol: String,
    /// `host:port`.
    pub address: String,
}

/// The receiver's last reported status, shared by the service and the
/// command.
#[derive(Default)]
pub(crate) struct StatusCell(Mutex<ReceiverStatus>);

impl StatusCell {
    pub(crate) fn set(&self, status: ReceiverStatus) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = status;
    }

    pub(crate) fn get(&self) -> ReceiverStatus {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

pub(crate) async fn get_receiver_status(api: &Api, _: Empty) -> Result<ReceiverStatus, ApiError> {
    Ok(api.receiver_status().get())
}
