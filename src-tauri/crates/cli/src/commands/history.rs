//! `readyroom history`: past scorecards, newest first.

use crate::args::{Global, HistoryArgs};
use crate::exit::{self, Failure};
use crate::{render, setup};

pub async fn run(_global: &Global, args: HistoryArgs) -> Result<u8, Failure> {
    let store = setup::open_store().await?;
    let runs = store.history(args.env.as_deref(), args.limit).await?;
    store.close().await;
    print!("{}", render::history(&runs, args.format));
    Ok(exit::OK)
}
