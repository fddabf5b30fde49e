//! `readyroom demo`: an example production on loopback, scored.

use std::time::Duration;

use readyroom_core::config::Config;
use readyroom_core::rubric::Rubric;
use readyroom_demo::Demo;

use crate::args::{DemoArgs, Global};
use crate::exit::{self, Failure};
use crate::{render, setup};
use readyroom_api::paths;

pub async fn run(_global: &Global, args: DemoArgs) -> Result<u8, Failure> {
    let demo = Demo::start().await?;
    let dir = paths::data_dir()
        .ok_or_else(|| Failure::error("no data directory: set READYROOM_DATA_DIR"))?
        .join("demo");
    std::fs::create_dir_all(&dir)
        .map_err(|e| Failure::error(format!("cannot create {}: {e}", dir.display())))?;
    let ca_file = dir.join("demo-ca.pem");
    let config_file = dir.join("config.toml");
    let config_text = demo.config_toml(&ca_file.display().to_string());
    std::fs::write(&ca_file, &demo.ca_pem)
        .map_err(|e| Failure::error(format!("cannot write {}: {e}", ca_file.display())))?;
    std::fs::write(&config_file, &config_text)
        .map_err(|e| Failure::error(format!("cannot write {}: {e}", config_file.display())))?;

    let parsed = Config::parse(&config_text, &dir)
        .map_err(|p| Failure::error(format!("demo config invalid: {p:?}")))?;
    let (name, env) = parsed.config.environment(None).map_err(Failure::error)?;
    let store = setup::open_store().await?;
    let run = super::score::score_with_progress(
        name,
        env,
        &Rubric::default_rubric(),
        &store,
        Duration::from_secs(5),
    )
    .await?;
    store
        .save_run(&run.scorecard, run.health_sample.as_ref())
        .await?;
    store.close().await;
    print!(
        "{}",
        render::scorecard(&run.scorecard, None, false, args.format)
    );
    if args.once {
        demo.shutdown();
        return Ok(exit::OK);
    }
    eprintln!(
        "\nThe example production is serving at {} until Ctrl-C.\nIts config: {}\nScore it again: readyroom --config {} score",
        demo.base_url(),
        config_file.display(),
        config_file.display()
    );
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| Failure::error(format!("cannot wait for Ctrl-C: {e}")))?;
    demo.shutdown();
    eprintln!("stopped");
    Ok(exit::OK)
}
