//! `readyroom`: the headless Readyroom. Scores an environment's production
//! readiness from live evidence, keeps the history, and manages the
//! keychain secrets the environments reference.

mod app;
mod args;
mod commands;
mod exit;
mod interrupt;
mod render;

use clap::Parser;

use crate::args::{
    Cli, Command, ConfigCommand, EnvCommand, PoolAction, PoolArgs, SecretCommand, TracesCommand,
};
use crate::exit::Failure;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    // Before any thread starts: secrets given in the environment leave it.
    readyroom_api::secrets::adopt_env_secrets();
    let cli = Cli::parse();
    init_logging(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return exit::ERROR.into();
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code.into(),
        Err(failure) => {
            // Messages can quote production (a driver's error text).
            let message = readyroom_core::format::printable(&failure.message);
            eprintln!("error: {message}");
            failure.code.into()
        }
    }
}

async fn run(cli: Cli) -> Result<u8, Failure> {
    let global = &cli.global;
    match cli.command {
        Command::Score(args) => commands::score::run(global, args).await,
        Command::History(args) => commands::history::run(global, args).await,
        Command::Report(args) => commands::report::run(global, args).await,
        Command::Secret(SecretCommand::Set(args)) => commands::secret::set(global, args).await,
        Command::Secret(SecretCommand::List(args)) => commands::secret::list(global, args).await,
        Command::Secret(SecretCommand::Rm(args)) => commands::secret::remove(global, args).await,
        Command::Config(ConfigCommand::Check(args)) => commands::config::check(global, args).await,
        Command::Config(ConfigCommand::Path) => commands::config::path(global),
        Command::Config(ConfigCommand::Init(args)) => commands::env::init(global, args).await,
        Command::Env(EnvCommand::List(args)) => commands::env::list(global, args).await,
        Command::Env(EnvCommand::Add(args)) => commands::env::add(global, args).await,
        Command::Env(EnvCommand::Rename(args)) => commands::env::rename(global, args).await,
        Command::Env(EnvCommand::Rm(args)) => commands::env::remove(global, args).await,
        Command::Demo(args) => commands::demo::run(global, args).await,
        Command::Serve(args) => commands::serve::run(global, args).await,
        Command::Otlp(args) => commands::otlp::run(args, global).await,
        Command::Pool(PoolArgs {
            action: Some(PoolAction::Cancel(args)),
            ..
        }) => commands::pool_cancel::run(global, args).await,
        Command::Pool(args) => commands::pool::run(global, args).await,
        Command::Quota(args) => commands::quota::run(global, args).await,
        Command::Audit(args) => commands::audit::run(global, args).await,
        Command::Deploys(args) => commands::deploys::run(global, args).await,
        Command::Rollback(args) => commands::rollback::run(global, args).await,
        Command::Traces(TracesCommand::List(args)) => commands::traces::list(global, args).await,
        Command::Traces(TracesCommand::Stats(args)) => commands::traces::stats(global, args).await,
        Command::Traces(TracesCommand::Show(args)) => commands::traces::show(global, args).await,
        Command::Traces(TracesCommand::Compare(args)) => {
            commands::traces::compare(global, args).await
        }
    }
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info,sqlx=warn",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("READYROOM_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
