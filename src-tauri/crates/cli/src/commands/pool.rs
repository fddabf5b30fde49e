//! `readyroom pool`: how close an environment is to running out of
//! database connections, read now; `--watch N` reads again every N seconds
//! and redraws, until Ctrl-C.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use readyroom_api::pools::{PoolWaitsRequest, PoolsRequest};

use crate::args::{Format, Global, PoolArgs};
use crate::exit::{self, Failure};
use crate::{app, interrupt, render};

pub async fn run(global: &Global, args: PoolArgs) -> Result<u8, Failure> {
    let api = app::api(global)?;
    let request = || PoolsRequest {
        environment: args.env.clone(),
        queries: Some(args.queries),
        minutes: None,
    };
    let waits = || PoolWaitsRequest {
        environment: args.env.clone(),
        minutes: Some(15),
    };
    let Some(every) = args.watch else {
        let view = api.get_pools(request()).await?;
        // Which requests pay comes from traces: a store without any says
        // so in its section, and never fails the reading.
        let waits = api.get_pool_waits(waits()).await.ok();
        api.close().await;
        print!("{}", render::pools(&view, waits.as_ref(), args.format));
        return Ok(exit::OK);
    };
    // Redraw in place on a terminal; elsewhere (a file, a pipe, JSON for
    // a script) each reading follows the last.
    let redraw = std::io::stdout().is_terminal() && args.format != Format::Json;
    let mut ticks = tokio::time::interval(Duration::from_secs(every));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = interrupt::first() => break,
        }
        let text = match api.get_pools(request()).await {
            Ok(view) => {
                let waits = api.get_pool_waits(waits()).await.ok();
                render::pools(&view, waits.as_ref(), args.format)
            }
            // A failed reading (the config being edited, say) is shown and
            // the watch goes on.
            Err(e) => format!("error: {}\n", e.message),
        };
        let mut out = std::io::stdout().lock();
        if redraw {
            // Home and clear, as top does.
            let _ = write!(out, "\x1b[H\x1b[2J");
        }
        let _ = write!(out, "{text}");
        if redraw {
            let _ = writeln!(out, "every {every} s · Ctrl-C to stop");
        }
        let _ = out.flush();
    }
    api.close().await;
    Ok(exit::OK)
}
