//! Trace files opened in the view: an OTLP/JSON file (from `traces show
//! --format otlp-json`, Tempo's or Jaeger's export, a colleague) is read
//! into memory, never into the span store, and its traces are shown
//! read-only through the same commands as stored ones, named by a handle
//! (`file` in their requests). The last few files stay open.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use readyroom_core::traces::{Span, Trace, TraceId};
use readyroom_sources::otlp::{lenient, to_spans};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::handlers::{ms, rfc3339};
use crate::{Api, ApiError, ErrorCode};

/// Files kept open at once; opening another closes the oldest.
const KEEP: usize = 4;
/// The largest file read (an OTLP/JSON trace of 200,000 spans is ~100 MiB).
pub const MAX_FILE_BYTES: usize = 256 * 1024 * 1024;

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OpenTraceFileRequest {
    /// The file's name, as shown (not read: the content comes with it).
    pub name: String,
    /// The file's content: OTLP/JSON (`resourceSpans`), or the jsonpb
    /// dialect Tempo and Jaeger export (`batches`, base64 ids).
    pub content: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OpenedFile {
    /// Names the file in later requests (`file`).
    pub file: String,
    pub name: String,
    /// Largest first.
    pub traces: Vec<OpenedTrace>,
    /// Spans the file held that could not be read, and the first reason.
    #[ts(type = "number")]
    pub rejected: u64,
    pub rejection: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OpenedTrace {
    pub trace_id: String,
    pub root_service: String,
    pub root_name: String,
    /// RFC 3339.
    pub start: String,
    pub duration_ms: f64,
    #[ts(type = "number")]
    pub spans: u64,
    #[ts(type = "number")]
    pub error_spans: u64,
}

struct File {
    handle: String,
    spans: BTreeMap<TraceId, Arc<Vec<Span>>>,
}

#[derive(Default)]
pub(crate) struct OpenedFiles {
    files: Mutex<VecDeque<File>>,
    opened: std::sync::atomic::AtomicU64,
}

impl OpenedFiles {
    /// The spans of `trace` in the file `handle`: `None` when the file is
    /// no longer open, empty when it has no such trace.
    pub(crate) fn trace(&self, handle: &str, trace: TraceId) -> Option<Arc<Vec<Span>>> {
        let files = self.files.lock().unwrap_or_else(|p| p.into_inner());
        let file = files.iter().find(|f| f.handle == handle)?;
        Some(file.spans.get(&trace).cloned().unwrap_or_default())
    }

    fn add(&self, spans: BTreeMap<TraceId, Arc<Vec<Span>>>) -> String {
        let n = self
            .opened
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1;
        let handle = format!("file-{n}");
        let mut files = self.files.lock().unwrap_or_else(|p| p.into_inner());
        files.push_back(File {
            handle: handle.clone(),
            spans,
        });
        while files.len() > KEEP {
            files.pop_front();
        }
        handle
    }
}

/// A file's spans by trace, and what could not be read.
struct Read {
    by_trace: BTreeMap<TraceId, Vec<Span>>,
    rejected: u64,
    rejection: Option<String>,
}

fn read(content: &str) -> Result<Read, String> {
    let value: serde_json::Value = serde_json::from_str(content).map_err(|e| {
        format!(
            "the file is not JSON ({}); Readyroom opens OTLP/JSON trace files",
            crate::request::without_values(&e)
        )
    })?;
    let request = lenient::to_request(value)
        .map_err(|e| format!("the file is not an OTLP/JSON trace export: {e}"))?;
    let decoded = to_spans(request);
    let mut by_trace: BTreeMap<TraceId, Vec<Span>> = BTreeMap::new();
    for span in decoded.spans {
        by_trace.entry(span.trace_id).or_default().push(span);
    }
    Ok(Read {
        by_trace,
        rejected: decoded.rejected,
        rejection: decoded.first_rejection,
    })
}

pub(crate) async fn open_trace_file(
    api: &Api,
    r: OpenTraceFileRequest,
) -> Result<OpenedFile, ApiError> {
    if r.content.len() > MAX_FILE_BYTES {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            format!(
                "the file is {} MiB; Readyroom opens trace files up to {} MiB",
                r.content.len() / (1024 * 1024),
                MAX_FILE_BYTES / (1024 * 1024)
            ),
        ));
    }
    let name = super::handlers::shown(&r.name);
    // Parsing a large file is CPU work: off the async workers.
    let content = r.content;
    let Read {
        by_trace,
        rejected,
        rejection,
    } = tokio::task::spawn_blocking(move || read(&content))
        .await
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?
        .map_err(|e| ApiError::new(ErrorCode::InvalidRequest, format!("{name}: {e}")))?;
    if by_trace.is_empty() {
        let why = rejection
            .as_deref()
            .map_or_else(String::new, |r| format!(" ({rejected} rejected: {r})"));
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            format!("{name} holds no span Readyroom can read{why}"),
        ));
    }
    let mut traces: Vec<OpenedTrace> = by_trace
        .values()
        .filter_map(|spans| {
            let trace = Trace::assemble(spans.iter().cloned())?;
            let summary = readyroom_core::traces::summarize(&trace);
            Some(OpenedTrace {
                trace_id: trace.trace_id.to_string(),
                root_service: summary.root_service,
                root_name: summary.root_name,
                start: rfc3339(summary.start_unix_nano),
                duration_ms: ms(summary.duration_nanos),
                spans: summary.spans as u64,
                error_spans: summary.error_spans as u64,
            })
        })
        .collect();
    traces.sort_by(|a, b| b.spans.cmp(&a.spans).then(a.trace_id.cmp(&b.trace_id)));
    let file = api.opened_files().add(
        by_trace
            .into_iter()
            .map(|(id, spans)| (id, Arc::new(spans)))
            .collect(),
    );
    Ok(OpenedFile {
        file,
        name,
        traces,
        rejected,
        rejection,
    })
}
