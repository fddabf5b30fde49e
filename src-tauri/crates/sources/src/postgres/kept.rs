//! One connection per source (PRODUCT.md): the server's and the pooler
//! console's connections are kept here, per environment, and every reader
//! in this process (the sampler, a `get_pools` without a sampler, a
//! request for query text) takes its turn on the same one. A failed read
//! drops it, and the next reader connects again; a changed secret (the
//! stored URL was replaced) connects afresh.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use readyroom_core::Sensitive;
use sqlx::{Connection, PgConnection};

use super::PgFailure;

struct Held {
    url: String,
    conn: PgConnection,
}

type Slot = Arc<tokio::sync::Mutex<Option<Held>>>;

/// The kept connections, by environment and source.
#[derive(Default)]
pub struct Connections(Mutex<HashMap<(String, &'static str), Slot>>);

impl Connections {
    fn slot(&self, environment: &str, source: &'static str) -> Slot {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.entry((environment.to_string(), source))
            .or_default()
            .clone()
    }

    /// Runs `read` on the kept connection of `environment`'s `source`,
    /// connecting with `connect` first when there is none (or the URL
    /// changed). A failed read drops the connection.
    pub async fn with<T, C, CF, R>(
        &self,
        environment: &str,
        source: &'static str,
        url: &Sensitive<String>,
        connect: C,
        read: R,
    ) -> Result<T, PgFailure>
    where
        C: FnOnce() -> CF,
        CF: Future<Output = Result<PgConnection, PgFailure>>,
        R: for<'c> FnOnce(&'c mut PgConnection) -> crate::BoxFuture<'c, Result<T, PgFailure>>,
    {
        let slot = self.slot(environment, source);
        let mut held = slot.lock().await;
        let kept = match held.take() {
            Some(h) if h.url == *url.expose() => Some(h),
            Some(changed) => {
                close(changed.conn).await;
                None
            }
            None => None,
        };
        let mut h = match kept {
            Some(h) => h,
            None => Held {
                url: url.expose().clone(),
                conn: connect().await?,
            },
        };
        let result = read(&mut h.conn).await;
        match result {
            Ok(_) => *held = Some(h),
            Err(_) => close(h.conn).await,
        }
        result
    }

    /// Closes every kept connection (the app is stopping).
    pub async fn close_all(&self) {
        let slots: Vec<Slot> = {
            let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
            map.drain().map(|(_, s)| s).collect()
        };
        for slot in slots {
            if let Some(h) = slot.lock().await.take() {
                close(h.conn).await;
            }
        }
    }

    /// How many connections are held now (for tests and the sampler's
    /// own accounting).
    pub async fn open(&self) -> usize {
        let slots: Vec<Slot> = {
            let map = self.0.lock().unwrap_or_else(|p| p.into_inner());
            map.values().cloned().collect()
        };
        let mut n = 0;
        for slot in slots {
            if slot.lock().await.is_some() {
                n += 1;
            }
        }
        n
    }
}

/// A goodbye that cannot hang: a second at most.
async fn close(conn: PgConnection) {
    let _ = tokio::time::timeout(std::time::Duration::from_secs(1), conn.close()).await;
}
