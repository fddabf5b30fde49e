//! Loading what every command needs: the config, the rubric, the store.
//! The loading itself lives in the command API's context, shared with the
//! desktop app and `readyroom serve`.

use readyroom_api::context;
use readyroom_core::config::{Config, ParsedConfig};
use readyroom_core::rubric::Rubric;
use readyroom_store::Store;

use crate::args::Global;
use crate::exit::Failure;
use readyroom_api::paths;

/// Reads and validates the config file.
pub fn load_config(global: &Global) -> Result<ParsedConfig, Failure> {
    Ok(context::load_config(
        paths::config_file(global.config.as_deref()).as_deref(),
    )?)
}

/// The rubric named in the config, or the built-in default.
pub fn load_rubric(config: &Config) -> Result<Rubric, Failure> {
    Ok(context::load_rubric(config)?)
}

pub async fn open_store() -> Result<Store, Failure> {
    let path = paths::store_file().ok_or_else(|| {
        Failure::error("no data directory for the local store: set READYROOM_DATA_DIR")
    })?;
    Ok(Store::open(&path).await?)
}
