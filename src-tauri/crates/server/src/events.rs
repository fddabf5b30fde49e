//! `GET /api/events`: the command API's events as server-sent events.

use std::convert::Infallible;

use axum::extract::State;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::Extension;
use futures::Stream;
use readyroom_api::{Event, EventSink};
use tokio::sync::{broadcast, watch};
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::StreamExt;

use crate::ServerState;

/// Fans events out to every connected browser. A slow client misses
/// events rather than holding memory (the UI refetches on the next one).
#[derive(Clone)]
pub struct BroadcastSink {
    sender: broadcast::Sender<Event>,
}

impl Default for BroadcastSink {
    fn default() -> Self {
        Self {
            sender: broadcast::channel(256).0,
        }
    }
}

impl EventSink for BroadcastSink {
    fn emit(&self, event: Event) {
        // No subscriber is not an error.
        let _ = self.sender.send(event);
    }
}

/// Set when the server stops: every open event stream then ends, so a
/// browser holding one cannot keep the server (and the operator's
/// terminal) waiting.
#[derive(Clone)]
pub struct StreamsClose(pub watch::Receiver<bool>);

pub async fn stream(
    State(state): State<ServerState>,
    close: Option<Extension<StreamsClose>>,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let events = BroadcastStream::new(state.events.sender.subscribe()).filter_map(|e| {
        let event = e.ok()?;
        let data = serde_json::to_string(&event).ok()?;
        Some(Ok(SseEvent::default().event("readyroom").data(data)))
    });
    let closed = async move {
        match close {
            // A dropped sender also ends the stream: the server is gone.
            Some(Extension(StreamsClose(mut rx))) => {
                let _ = rx.wait_for(|closed| *closed).await;
            }
            None => std::future::pending().await,
        }
    };
    Sse::new(futures::StreamExt::take_until(events, closed)).keep_alive(KeepAlive::default())
}
