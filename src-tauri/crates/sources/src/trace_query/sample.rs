//! A bounded sample of whole traces from Tempo or Jaeger, for what their
//! aggregate queries cannot answer (orphans, error detail, the LLM lens)
//! and for everything when there is no aggregate query (Jaeger, or a
//! Tempo without TraceQL metrics).

use futures::stream::{self, StreamExt, TryStreamExt};
use readyroom_core::traces::{Span, TraceFilter};

use super::{jaeger, tempo, Engine, QueryError, Search, TraceQuery};

/// Traces read at most for one sample: enough to judge shares, bounded
/// however busy the environment is (each is one request to Tempo).
pub const MAX_SAMPLE_TRACES: u32 = 200;

/// Traces fetched from Tempo at once.
const CONCURRENT_FETCHES: usize = 4;

impl TraceQuery {
    /// Up to `max` (at most `MAX_SAMPLE_TRACES`) whole traces that started
    /// in `[from_ns, to_ns]`, the newest the engine lists. For Tempo,
    /// `traceql` narrows which (`{ }` for any); Jaeger lists every
    /// service's newest and ignores it.
    pub async fn sample(
        &self,
        from_ns: u64,
        to_ns: u64,
        traceql: &str,
        max: u32,
    ) -> Result<Vec<Vec<Span>>, QueryError> {
        let limit = max.clamp(1, MAX_SAMPLE_TRACES);
        match self.engine {
            Engine::Tempo => {
                let mut lines = tempo::find(self, traceql, from_ns, to_ns, limit).await?;
                lines.sort_by_key(|t| std::cmp::Reverse(t.start_ns));
                lines.truncate(limit as usize);
                stream::iter(lines)
                    .map(|line| self.trace(line.trace_id))
                    .buffered(CONCURRENT_FETCHES)
                    // A trace gone between the search and the fetch (404).
                    .try_filter(|spans| std::future::ready(!spans.is_empty()))
                    .try_collect()
                    .await
            }
            Engine::Jaeger => {
                let search = Search {
                    from_ns,
                    to_ns,
                    filter: TraceFilter {
                        limit,
                        ..TraceFilter::default()
                    },
                };
                let mut traces = jaeger::traces(self, &search).await?;
                traces.sort_by_key(|spans| {
                    std::cmp::Reverse(spans.iter().map(|s| s.start_unix_nano).min())
                });
                traces.truncate(limit as usize);
                Ok(traces)
            }
        }
    }
}
