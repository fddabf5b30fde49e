//! A traffic generator: a realistic mix from every tier, with one free
//! workspace pushing past its per-minute limit.

use std::time::Duration;

use rand::Rng;

use crate::db::Workspace;
use crate::pricing::Tier;

/// Runs until the task is aborted. `base` is the demo's own URL; `client`
/// trusts the demo's CA.
pub async fn run(client: reqwest::Client, base: String, workspaces: Vec<Workspace>) {
    // Requests per minute each workspace aims for; Vandelay (free, 10/min)
    // deliberately asks for twice its limit.
    let rate = |ws: &Workspace| match (ws.tier, ws.id.as_str()) {
        (_, "ws_vandelay") => 20.0,
        (Tier::Enterprise, _) => 120.0,
        (Tier::Professional, _) => 50.0,
        (Tier::Starter, _) => 15.0,
        (Tier::Free, _) => 4.0,
    };
    let total: f64 = workspaces.iter().map(rate).sum();
    let mut tick = tokio::time::interval(Duration::from_secs_f64(60.0 / total));
    loop {
        tick.tick().await;
        let (ws, route) = {
            let mut rng = rand::rng();
            let mut pick = rng.random_range(0.0..total);
            let ws = workspaces
                .iter()
                .find(|w| {
                    pick -= rate(w);
                    pick < 0.0
                })
                .or(workspaces.first())
                .cloned();
            // AI calls are a small share, as in the product it models:
            // at 4 % they stay out of the healthy p95, which is the
            // ordinary API's (the drill's slow queries then show in it).
            let route = match rng.random_range(0..100) {
                0..68 => "contacts",
                68..96 => "campaigns",
                _ => "summarize",
            };
            (ws, route)
        };
        let Some(ws) = ws else { return };
        let client = client.clone();
        let base = base.clone();
        tokio::spawn(async move {
            let auth = format!("Bearer {}", ws.api_key);
            let request = match route {
                "summarize" => client
                    .post(format!("{base}/api/ai/summarize"))
                    .json(&serde_json::json!({"text": "Customer asked about renewing the annual plan and adding five seats before the price change."})),
                other => client.get(format!("{base}/api/{other}")),
            };
            if let Err(e) = request
                .header("authorization", auth)
                .timeout(Duration::from_secs(15))
                .send()
                .await
            {
                tracing::debug!(error = %e, "demo traffic request failed");
            }
        });
    }
}
