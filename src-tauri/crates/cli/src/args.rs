//! The command line, declared with clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "readyroom",
    version,
    about = "Production-readiness cockpit: score an environment from live evidence, keep the history, manage its secrets.",
    after_help = "Exit codes: 0 ok, 1 error, 2 usage error, 3 a gate failed (score --fail-under)."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    /// More log output on stderr (-v info, -vv debug); READYROOM_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// Config file [default: READYROOM_CONFIG, else the platform config dir's readyroom/config.toml]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Markdown,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compute the readiness scorecard of an environment from live evidence.
    Score(ScoreArgs),
    /// List past scorecards.
    History(HistoryArgs),
    /// Write the weekly readiness review of an environment from its stored
    /// runs: a self-contained HTML page and Markdown beside it, every number
    /// linked to the run and check it came from.
    Report(ReportArgs),
    /// Manage the keychain secrets environments reference.
    #[command(subcommand)]
    Secret(SecretCommand),
    /// Check, locate or create the config file.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// List, add, rename or remove environments in the config file (its
    /// comments and order are kept; the previous file is kept as .bak).
    #[command(subcommand)]
    Env(EnvCommand),
    /// Run the demo production on loopback (tiers, usage, a flaky AI
    /// upstream, deployments, traffic) and score it; `demo drill` starts an incident.
    Demo(DemoArgs),
    /// Serve the UI and command API over HTTP (loopback only by default).
    Serve(ServeArgs),
    /// Receive traces over OTLP/HTTP and OTLP/gRPC into the local span store, until Ctrl-C.
    Otlp(OtlpArgs),
    /// Read the traces Readyroom received.
    #[command(subcommand)]
    Traces(TracesCommand),
    /// How close an environment is to running out of database connections:
    /// PostgreSQL, the pooler and the app's pool, read now.
    Pool(PoolArgs),
    /// Per-tier quota usage: totals, who is over or near (80 %) a plan
    /// limit, who will run out before the window resets.
    Quota(QuotaArgs),
    /// Every action taken against production (cancelled backends,
    /// rollbacks), newest first, with the log's hash chain verified.
    Audit(AuditArgs),
    /// Production's deployments from the environment's deploy provider:
    /// which serves now, which production can roll back to, and the undo
    /// on offer.
    Deploys(DeploysArgs),
    /// Roll production back to an earlier deployment (or undo the last
    /// rollback): pre-flight, a reason and the environment's name typed,
    /// one call to the provider, then health verified. Audited.
    #[command(
        after_help = "Exit codes: 0 done and verified healthy (or a dry run that passed), 1 not done, outcome unknown, or not healthy after, 2 usage error."
    )]
    Rollback(RollbackArgs),
}

#[derive(Debug, Args)]
pub struct DeploysArgs {
    /// Environment to read [default: default_environment, or the only one]
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The deployment to go to [default: the newest earlier deployment that
    /// is ready and was not seen mostly unhealthy]
    #[arg(value_name = "DEPLOYMENT", conflicts_with = "undo")]
    pub target: Option<String>,
    /// Environment [default: default_environment, or the only one]
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
    /// Undo the last rollback: back to the deployment it left.
    #[arg(long)]
    pub undo: bool,
    /// Why, for the audit log (required).
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
    /// The environment's name, for scripts; without it you are asked to
    /// type it.
    #[arg(long, value_name = "NAME")]
    pub confirm: Option<String>,
    /// Run the pre-flight and record it in the audit log; send nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct PoolArgs {
    #[command(subcommand)]
    pub action: Option<PoolAction>,
    /// Environment to read [default: default_environment, or the only one]
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Read again every SECONDS and redraw, like top, until Ctrl-C.
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub watch: Option<u64>,
    /// Show the text of the longest-running queries (truncated; never stored).
    #[arg(long)]
    pub queries: bool,
}

#[derive(Debug, Args)]
pub struct QuotaArgs {
    /// Environment to read [default: default_environment, or the only one]
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
    /// Only this tier's workspaces in the lists (any case).
    #[arg(long, value_name = "NAME")]
    pub tier: Option<String>,
    /// Only the workspaces near a limit (80 % up to the limit).
    #[arg(long)]
    pub near: bool,
    /// Only the workspaces past a limit.
    #[arg(long)]
    pub over: bool,
    /// Workspaces each list shows at most (it says how many there were).
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub top: u32,
    /// Instead of reading now: who was throttled on which of the last
    /// days, from the snapshots the quota sampler stored (the desktop app
    /// and `serve` run it). Reads only the local store.
    #[arg(long, conflicts_with_all = ["tier", "near", "over"])]
    pub trend: bool,
    /// Days the trend covers, today included (UTC).
    #[arg(long, value_name = "N", default_value_t = 7, requires = "trend", value_parser = clap::value_parser!(u32).range(1..=90))]
    pub days: u32,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum PoolAction {
    /// Cancel one backend's running query (or end its session with
    /// --terminate): an action against production, allowed per
    /// environment (allow_cancel), with a reason and the environment's
    /// name typed; recorded in the audit log.
    Cancel(PoolCancelArgs),
}

#[derive(Debug, Args)]
pub struct PoolCancelArgs {
    /// The backend's pid, as `readyroom pool` names it.
    #[arg(value_name = "PID")]
    pub pid: i32,
    /// Environment [default: default_environment, or the only one]
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
    /// End the session (its open transaction rolls back) instead of
    /// cancelling its query.
    #[arg(long)]
    pub terminate: bool,
    /// Why, for the audit log (required).
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
    /// The environment's name, for scripts; without it you are asked to
    /// type it.
    #[arg(long, value_name = "NAME")]
    pub confirm: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Only this environment's entries [default: all]
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum TracesCommand {
    /// Traces received, newest first.
    List(TraceListArgs),
    /// Requests per service and route: rate, errors, p50/p95/p99.
    Stats(TraceStatsArgs),
    /// One trace as a tree, with durations, self time and the critical path.
    Show(TraceShowArgs),
    /// Two traces of one operation side by side: matched spans with their
    /// duration differences, and the spans only one of them has.
    Compare(TraceCompareArgs),
}

#[derive(Debug, Args)]
pub struct TraceCompareArgs {
    /// The baseline trace id (32 hex digits), e.g. a fast request.
    #[arg(value_name = "A")]
    pub a: String,
    /// The trace compared with it, e.g. a slow one.
    #[arg(value_name = "B")]
    pub b: String,
    /// Whose Tempo or Jaeger to ask for traces the local store lacks
    /// [default: default_environment]
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ByArg {
    Route,
    Service,
}

#[derive(Debug, Args)]
pub struct TraceListArgs {
    /// Environment [default: default_environment, or the only one]
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
    /// Only traces entering through this service.
    #[arg(long, value_name = "NAME")]
    pub service: Option<String>,
    /// Only traces entering through this route (`http.route`, else the span name).
    #[arg(long, value_name = "ROUTE")]
    pub route: Option<String>,
    /// Only traces with (error) or without (ok) an ERROR span.
    #[arg(long, value_enum)]
    pub status: Option<StatusArg>,
    /// Only traces lasting at least this long: 500ms, 2s.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub min_duration: Option<std::time::Duration>,
    /// Only traces lasting at most this long.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub max_duration: Option<std::time::Duration>,
    /// Only traces with a span carrying this attribute (on the span, an
    /// event or its resource): http.response.status_code=500.
    #[arg(long, value_name = "KEY=VALUE")]
    pub attribute: Option<String>,
    /// How far back: 30m, 1h, 1d.
    #[arg(long, default_value = "1h", value_parser = parse_since)]
    pub since: std::time::Duration,
    /// Newest first (start) or slowest first (duration).
    #[arg(long, value_enum, default_value_t = SortArg::Start)]
    pub sort: SortArg,
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub limit: u32,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SortArg {
    Start,
    Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StatusArg {
    Ok,
    Error,
}

#[derive(Debug, Args)]
pub struct TraceStatsArgs {
    /// Environment [default: default_environment, or the only one]
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
    /// How far back: 30m, 1h, 1d.
    #[arg(long, default_value = "1h", value_parser = parse_since)]
    pub since: std::time::Duration,
    /// One row per route, or per service (all its routes together).
    #[arg(long, value_enum, default_value_t = ByArg::Route)]
    pub by: ByArg,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct TraceShowArgs {
    /// The trace id (32 hex digits).
    #[arg(value_name = "TRACE_ID")]
    pub trace_id: String,
    /// Whose Tempo or Jaeger to ask when the local store lacks the trace
    /// [default: default_environment]
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
    /// `otlp-json`: the trace as an OTLP/JSON export request, for other
    /// tools (and Readyroom's own receiver).
    #[arg(long, value_enum, default_value_t = ShowFormat::Table)]
    pub format: ShowFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ShowFormat {
    Table,
    Json,
    Markdown,
    OtlpJson,
}

/// `30m`, `1h`, `2d`: at least a minute.
fn parse_since(text: &str) -> Result<std::time::Duration, String> {
    let d = humantime::parse_duration(text)
        .map_err(|e| format!("'{text}' is not a duration such as 30m, 1h or 1d: {e}"))?;
    if d.as_secs() < 60 {
        return Err(format!(
            "'{text}' is under a minute; the window is at least 1m"
        ));
    }
    Ok(d)
}

/// A receiver's address, or `off`.
#[derive(Debug, Clone, Copy)]
pub struct Listen(pub Option<std::net::SocketAddr>);

fn parse_listen(text: &str) -> Result<Listen, String> {
    if text.eq_ignore_ascii_case("off") {
        return Ok(Listen(None));
    }
    text.parse()
        .map(|addr| Listen(Some(addr)))
        .map_err(|_| format!("'{text}' is not an address such as 127.0.0.1:4318, or off"))
}

#[derive(Debug, Args)]
pub struct OtlpArgs {
    /// Address for OTLP/HTTP (`POST /v1/traces`, protobuf or JSON, gzip),
    /// or `off`. Loopback unless another address is named here.
    #[arg(long, default_value = "127.0.0.1:4318", value_name = "ADDR:PORT|off", value_parser = parse_listen)]
    pub http: Listen,
    /// Address for OTLP/gRPC (`TraceService/Export`, gzip), or `off`.
    /// Loopback unless another address is named here.
    #[arg(long, default_value = "127.0.0.1:4317", value_name = "ADDR:PORT|off", value_parser = parse_listen)]
    pub grpc: Listen,
    /// Largest request body, compressed or decompressed, in bytes.
    #[arg(long, default_value_t = 16 * 1024 * 1024, value_name = "BYTES")]
    pub max_body_bytes: usize,
    /// A browser origin allowed to send traces (repeatable); requests from
    /// any other origin are refused.
    #[arg(long, value_name = "ORIGIN")]
    pub allow_origin: Vec<String>,
    /// Print the addresses as JSON ({"http": ..., "grpc": ...}) for scripts and tests.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on. Anything but loopback needs --tls-cert and
    /// --tls-key (the launch token must not cross a network in clear), or
    /// --insecure-listen.
    #[arg(long, default_value = "127.0.0.1:0", value_name = "ADDR:PORT")]
    pub listen: std::net::SocketAddr,
    /// Serve HTTPS with this PEM certificate chain (leaf first). Browsers
    /// reach the server at the names it holds.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<std::path::PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<std::path::PathBuf>,
    /// Allow a non-loopback --listen without TLS. Anyone who can watch the
    /// network then sees the launch token.
    #[arg(long)]
    pub insecure_listen: bool,
    /// Let the browser take actions against production (cancel a backend;
    /// each still needs its reason and typed confirmation, and the
    /// environment's config must allow it). Off by default: whoever holds
    /// the launch URL could act.
    #[arg(long)]
    pub allow_actions: bool,
    /// Print the URL as JSON ({"url": ...}) for scripts and tests.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// Environment to score [default: default_environment, or the only one]
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Exit with code 3 when the score is below N.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(0..=100))]
    pub fail_under: Option<u8>,
    /// Also show what changed since the previous stored run.
    #[arg(long)]
    pub diff: bool,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Environment [default: default_environment, or the only one]
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
    /// The period, up to now (7d, 14d, 36h: rounded up to whole days).
    #[arg(long, default_value = "7d", value_parser = humantime::parse_duration)]
    pub since: std::time::Duration,
    /// The folder to write the report to (created if missing).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
    /// table: the files written and the headline; json: those and the
    /// review's data.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Only this environment [default: all]
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// How many runs to list, newest first.
    #[arg(long, default_value_t = 20)]
    pub limit: u32,
}

#[derive(Debug, Subcommand)]
pub enum SecretCommand {
    /// Store a secret in the OS keychain. The value is read from a no-echo
    /// prompt, or from standard input when it is not a terminal; never from
    /// an argument.
    Set(SecretNameArgs),
    /// List the secrets the config references and whether each is set (never values).
    List(SecretListArgs),
    /// Remove a secret from the OS keychain.
    Rm(SecretNameArgs),
}

#[derive(Debug, Args)]
pub struct SecretNameArgs {
    /// The secret's name, as referenced from the config (e.g. production/database-url).
    pub name: String,
}

#[derive(Debug, Args)]
pub struct SecretListArgs {
    /// Only secrets of this environment [default: all]
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the config file and report every problem with its key path and line.
    Check(ConfigCheckArgs),
    /// Print the config file path that would be used.
    Path,
    /// Create the config file with a first environment: from flags, or
    /// asked at the terminal.
    Init(ConfigInitArgs),
}

#[derive(Debug, Args)]
pub struct ConfigInitArgs {
    /// The first environment's name [asked when at a terminal]
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
    #[command(flatten)]
    pub urls: EnvUrls,
}

/// An environment's URLs, as flags.
#[derive(Debug, Args)]
pub struct EnvUrls {
    /// The app's public URL (TLS, headers and the API checks read it).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// A health endpoint (repeat for several).
    #[arg(long = "health-url", value_name = "URL")]
    pub health_urls: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum EnvCommand {
    /// The environments the config file defines.
    List(EnvListArgs),
    /// Add an environment (the config file is created when there is none).
    Add(EnvAddArgs),
    /// Rename an environment; its sections and default_environment follow.
    Rename(EnvRenameArgs),
    /// Remove an environment and its sections (its keychain entries stay;
    /// `readyroom secret rm` removes them).
    Rm(EnvRmArgs),
}

#[derive(Debug, Args)]
pub struct EnvListArgs {
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct EnvAddArgs {
    /// Letters, digits, - and _.
    #[arg(value_name = "NAME")]
    pub name: String,
    #[command(flatten)]
    pub urls: EnvUrls,
    /// Make it default_environment.
    #[arg(long)]
    pub default: bool,
}

#[derive(Debug, Args)]
pub struct EnvRenameArgs {
    #[arg(value_name = "FROM")]
    pub from: String,
    #[arg(value_name = "TO")]
    pub to: String,
}

#[derive(Debug, Args)]
pub struct EnvRmArgs {
    #[arg(value_name = "NAME")]
    pub name: String,
}

#[derive(Debug, Args)]
pub struct ConfigCheckArgs {
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    #[command(subcommand)]
    pub action: Option<DemoAction>,
    /// Score once and exit instead of serving until Ctrl-C.
    #[arg(long)]
    pub once: bool,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Count usage in this PostgreSQL database instead of the embedded
    /// SQLite (also READYROOM_DEMO_POSTGRES). Meant for a local test database.
    #[arg(
        long,
        value_name = "URL",
        env = "READYROOM_DEMO_POSTGRES",
        hide_env_values = true
    )]
    pub postgres: Option<String>,
    /// Do not generate traffic.
    #[arg(long)]
    pub no_traffic: bool,
    /// Also serve the UI on loopback and print its URL (for machines
    /// without a display).
    #[arg(long, conflicts_with = "desktop")]
    pub serve: bool,
    /// Open the desktop app (readyroom-desktop, next to this binary) on the
    /// demo once it is ready; closing the window stops the demo.
    #[arg(long)]
    pub desktop: bool,
    /// Export the demo's own traces as OTLP/HTTP to this endpoint
    /// (e.g. http://127.0.0.1:4318).
    #[arg(long, value_name = "URL", env = "OTEL_EXPORTER_OTLP_ENDPOINT")]
    pub otlp: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum DemoAction {
    /// Incident drill: deploy the known-bad release to the running demo.
    Drill,
}
