//! The config file: named environments and what to probe in each.
//!
//! Parsing is two-pass: [`schema`] walks the raw TOML and collects every
//! problem with its key path and line; only a document without problems is
//! then deserialized into these types.

pub mod edit;
pub mod form;
mod schema;

pub use schema::{check_secret_name, secret_env_var};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use url::Url;

use crate::pools::app_metrics::{PoolMetricNames, Selector};
use crate::source_text::{syntax_problem, LineIndex, Problem};

pub const DEFAULT_PROBE_TIMEOUT_MS: u64 = 5_000;
pub const DEFAULT_STATEMENT_TIMEOUT_MS: u64 = 2_000;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The environment used when `--env` is not given.
    #[serde(default)]
    pub default_environment: Option<String>,
    #[serde(default)]
    pub settings: Settings,
    #[serde(default)]
    pub environments: BTreeMap<String, Environment>,
    /// `[quota]`: plan limits laid over PRODUCT.md's table.
    #[serde(default)]
    pub quota: QuotaSettings,
}

/// `[quota.tiers.NAME]`: a tier's limits (`requests_per_minute`, …), each
/// replacing the default table's; a tier it does not know is added.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct QuotaSettings {
    #[serde(default)]
    pub tiers: BTreeMap<String, BTreeMap<crate::quota::Limit, u64>>,
    #[serde(default)]
    pub ai_cost: AiCostSettings,
}

/// `[quota.ai_cost]`: what AI tokens cost (`crate::quota::cost`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AiCostSettings {
    /// A label for the amounts (default USD).
    pub currency: Option<String>,
    /// The model every tier's tokens are priced as, unless `tiers` says.
    pub model: Option<String>,
    /// Model → price per million tokens.
    #[serde(default)]
    pub prices: BTreeMap<String, f64>,
    /// Tier → model.
    #[serde(default)]
    pub tiers: BTreeMap<String, String>,
}

impl QuotaSettings {
    /// The plans in effect: the defaults with these laid over them, and
    /// the AI prices.
    pub fn plans(&self) -> crate::quota::Plans {
        let c = &self.ai_cost;
        crate::quota::Plans::with_config(&self.tiers).priced(crate::quota::Prices::with_config(
            c.currency.as_deref(),
            c.model.as_deref(),
            &c.prices,
            &c.tiers,
        ))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Time each probe may take before it counts as timed out.
    #[serde(default = "default_probe_timeout")]
    pub probe_timeout_ms: u64,
    /// A rubric file replacing the built-in default.
    #[serde(default)]
    pub rubric: Option<PathBuf>,
    /// The OTLP receiver the desktop app and `serve` run.
    #[serde(default)]
    pub otlp: OtlpSettings,
    /// How long and how much the span store keeps.
    #[serde(default)]
    pub spans: SpanStoreSettings,
    /// The pool sampler.
    #[serde(default)]
    pub pools: PoolSettings,
    #[serde(default)]
    pub quota: QuotaSamplerSettings,
}

/// `[settings.quota]`: the background quota sampler, whose snapshots make
/// the trend.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct QuotaSamplerSettings {
    /// Read every this many ms (default 300,000: five minutes; the trend
    /// is by day, and each read is a query on production).
    #[serde(default = "default_quota_every")]
    pub every_ms: u64,
    /// Snapshots older than this are removed (default 35: five weeks).
    #[serde(default = "default_quota_retention_days")]
    pub retention_days: u32,
    /// Workspaces kept of each list per reading (default 200).
    #[serde(default = "default_quota_keep")]
    pub keep: u32,
}

impl Default for QuotaSamplerSettings {
    fn default() -> Self {
        QuotaSamplerSettings {
            every_ms: default_quota_every(),
            retention_days: default_quota_retention_days(),
            keep: default_quota_keep(),
        }
    }
}

fn default_quota_every() -> u64 {
    300_000
}

fn default_quota_retention_days() -> u32 {
    35
}

fn default_quota_keep() -> u32 {
    200
}

/// `[settings.pools]`: the background pool sampler.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PoolSettings {
    /// Sample every this many ms (default 5,000).
    #[serde(default = "default_pool_every")]
    pub every_ms: u64,
    /// ... and this often while the Pools view is open (default 1,000).
    #[serde(default = "default_pool_live_every")]
    pub live_every_ms: u64,
    /// Samples older than this are removed (default 14).
    #[serde(default = "default_pool_retention_days")]
    pub retention_days: u32,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings {
            every_ms: default_pool_every(),
            live_every_ms: default_pool_live_every(),
            retention_days: default_pool_retention_days(),
        }
    }
}

fn default_pool_every() -> u64 {
    5_000
}

fn default_pool_live_every() -> u64 {
    1_000
}

fn default_pool_retention_days() -> u32 {
    14
}

/// `[settings.spans]`: retention of the local span store.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SpanStoreSettings {
    /// Spans older than this are removed (default 7).
    #[serde(default = "default_retention_days")]
    pub retention_days: u32,
    /// Past this size the oldest received spans are removed (default 2 GiB).
    #[serde(default = "default_span_store_bytes")]
    pub max_bytes: u64,
}

impl Default for SpanStoreSettings {
    fn default() -> Self {
        SpanStoreSettings {
            retention_days: default_retention_days(),
            max_bytes: default_span_store_bytes(),
        }
    }
}

fn default_retention_days() -> u32 {
    7
}

fn default_span_store_bytes() -> u64 {
    2 * 1024 * 1024 * 1024
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            probe_timeout_ms: DEFAULT_PROBE_TIMEOUT_MS,
            rubric: None,
            otlp: OtlpSettings::default(),
            spans: SpanStoreSettings::default(),
            pools: PoolSettings::default(),
            quota: QuotaSamplerSettings::default(),
        }
    }
}

/// `[settings.otlp]`: the OTLP receiver run by the desktop app and `serve`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OtlpSettings {
    /// Receive spans while the app runs (default true).
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// OTLP/HTTP address (default 127.0.0.1:4318: loopback only).
    #[serde(default = "default_otlp_http")]
    pub http: std::net::SocketAddr,
    /// OTLP/gRPC address (default 127.0.0.1:4317: loopback only).
    #[serde(default = "default_otlp_grpc")]
    pub grpc: std::net::SocketAddr,
    /// Browser origins allowed to POST spans (a web app's own telemetry);
    /// requests from any other origin are refused (default none).
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Largest request body, compressed or decompressed (default 16 MiB).
    #[serde(default = "default_otlp_body")]
    pub max_body_bytes: usize,
}

impl Default for OtlpSettings {
    fn default() -> Self {
        OtlpSettings {
            enabled: true,
            http: default_otlp_http(),
            grpc: default_otlp_grpc(),
            allowed_origins: Vec::new(),
            max_body_bytes: default_otlp_body(),
        }
    }
}

fn default_true() -> bool {
    true
}

fn default_otlp_http() -> std::net::SocketAddr {
    std::net::SocketAddr::from(([127, 0, 0, 1], 4318))
}

fn default_otlp_grpc() -> std::net::SocketAddr {
    std::net::SocketAddr::from(([127, 0, 0, 1], 4317))
}

fn default_otlp_body() -> usize {
    16 * 1024 * 1024
}

fn default_probe_timeout() -> u64 {
    DEFAULT_PROBE_TIMEOUT_MS
}

fn default_statement_timeout() -> u64 {
    DEFAULT_STATEMENT_TIMEOUT_MS
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    pub base_url: Option<Url>,
    #[serde(default)]
    pub health_urls: Vec<Url>,
    #[serde(default)]
    pub protected_urls: Vec<Url>,
    pub metrics_url: Option<Url>,
    /// An API URL whose response should carry rate-limit headers; defaults
    /// to the first protected URL.
    pub rate_limit_url: Option<Url>,
    /// A URL that must fail, to inspect the error shape; defaults to a
    /// random path under `/api/` of the base URL.
    pub error_url: Option<Url>,
    /// An extra trust root (PEM) for internal CAs.
    pub ca_file: Option<PathBuf>,
    pub probe_timeout_ms: Option<u64>,
    pub postgres: Option<PostgresSource>,
    pub pgbouncer: Option<PgBouncerSource>,
    /// The app's own pool, from its Prometheus metrics.
    pub app_pool: Option<AppPoolSource>,
    pub traces: Option<TracesSource>,
    pub quota: Option<QuotaSource>,
    pub deploy: Option<DeploySource>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostgresSource {
    /// Keychain entry holding the connection URL.
    pub url_secret: String,
    #[serde(default = "default_statement_timeout")]
    pub statement_timeout_ms: u64,
    /// Keep the longest queries' text (truncated) in stored samples
    /// (default false: text is read only when someone asks to see it).
    #[serde(default)]
    pub store_query_text: bool,
    /// Allow cancelling or terminating a backend from the blocking tree,
    /// with a reason, a typed confirmation and an audit entry (default
    /// false: the one write Readyroom can make to this database).
    #[serde(default)]
    pub allow_cancel: bool,
}

/// `[environments.NAME.app_pool]`: where the app's pool metrics are, and
/// their names when they are not one of the presets.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppPoolSource {
    /// Default: the environment's `metrics_url`.
    pub metrics_url: Option<Url>,
    pub in_use: Option<Selector>,
    pub idle: Option<Selector>,
    pub waiting: Option<Selector>,
    pub max: Option<Selector>,
    pub total: Option<Selector>,
}

impl AppPoolSource {
    /// The names the config gives, or `None` to try the presets.
    pub fn names(&self) -> Option<PoolMetricNames> {
        let names = PoolMetricNames {
            in_use: self.in_use.clone(),
            idle: self.idle.clone(),
            waiting: self.waiting.clone(),
            max: self.max.clone(),
            total: self.total.clone(),
        };
        (names != PoolMetricNames::default()).then_some(names)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PgBouncerSource {
    pub url_secret: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TracesSource {
    /// Where the team keeps traces: Grafana Tempo's query frontend, or
    /// (when no Tempo is given) Jaeger's query service with `/api/v3`.
    /// Traces are then listed, shown and scored from there, not from the
    /// local receiver's store.
    pub tempo_url: Option<Url>,
    pub jaeger_url: Option<Url>,
    /// Keychain entry holding a bearer token for Tempo or Jaeger.
    pub token_secret: Option<String>,
    /// Tempo's tenant, sent as `X-Scope-OrgID` (multi-tenant Tempo).
    pub org_id: Option<String>,
    /// Resource attributes (and values) that place received spans in this
    /// environment, all of which must hold; checked before the resource's
    /// own `deployment.environment.name`.
    #[serde(default, rename = "match")]
    pub match_resource: BTreeMap<String, String>,
    /// Hosts whose CLIENT spans count as upstream calls, besides LLM calls
    /// (`gen_ai.*`), for `rel.upstream_absorbed`.
    #[serde(default)]
    pub upstream_hosts: Vec<String>,
    /// How far back the trace checks look, in hours (default 24).
    pub window_hours: Option<u32>,
    /// Names of the spans that wait for a database connection (default
    /// `pg-pool.connect`), for the share of each route's time spent
    /// waiting.
    #[serde(default)]
    pub acquire_spans: Vec<String>,
}

impl TracesSource {
    /// The acquire span names, or the default.
    pub fn acquire_span_names(&self) -> Vec<String> {
        if self.acquire_spans.is_empty() {
            crate::pools::acquire::DEFAULT_ACQUIRE_SPANS
                .iter()
                .map(|s| s.to_string())
                .collect()
        } else {
            self.acquire_spans.clone()
        }
    }
}

/// Where quota usage is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuotaSourceKind {
    /// The quota data contract relation (or a custom query) in PostgreSQL.
    Postgres,
    /// A usage endpoint answering the contract as JSON.
    Http,
}

impl QuotaSourceKind {
    pub const NAMES: &'static [&'static str] = &["postgres", "http"];
}

/// The deploy provider that lists and rolls back deployments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeployProvider {
    Vercel,
    Webhook,
    Command,
    Demo,
}

impl DeployProvider {
    pub const NAMES: &'static [&'static str] = &["vercel", "webhook", "command", "demo"];

    /// Its name in the config (and the audit log).
    pub fn name(self) -> &'static str {
        match self {
            DeployProvider::Vercel => "vercel",
            DeployProvider::Webhook => "webhook",
            DeployProvider::Command => "command",
            DeployProvider::Demo => "demo",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaSource {
    pub source: QuotaSourceKind,
    pub relation: Option<String>,
    pub query: Option<String>,
    pub usage_url: Option<Url>,
    pub token_secret: Option<String>,
}

/// `[environments.NAME.deploy]`: the provider that lists and rolls back
/// production's deployments, and how a rollback is verified after.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeploySource {
    pub provider: DeployProvider,
    /// Vercel: the project.
    pub project_id: Option<String>,
    /// Vercel: the team the project belongs to (`teamId`).
    pub team_id: Option<String>,
    /// Keychain entry with the provider's token (Vercel, demo), or the
    /// webhook's secret header value.
    pub token_secret: Option<String>,
    /// Vercel: the API (default `https://api.vercel.com`); demo: its
    /// provider API; webhook: the URL a rollback is POSTed to.
    pub url: Option<Url>,
    /// Webhook: the header carrying the secret (default `Authorization`,
    /// sent as `Bearer <secret>`; any other header carries it as is).
    pub secret_header: Option<String>,
    /// Webhook: the JSON body, with `{{target}}`, `{{from}}`, `{{reason}}`,
    /// `{{operator}}`, `{{environment}}` and `{{action}}` replaced in its
    /// strings.
    pub body: Option<String>,
    /// Webhook: a URL polled after the POST until it reports success or
    /// failure (`{"status": ...}`).
    pub status_url: Option<Url>,
    /// Command: the program and its arguments, run without a shell.
    pub command: Option<Vec<String>>,
    /// Command: environment variables set from keychain entries (VAR =
    /// entry name).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// How long the rollback call itself may take (default 30 s).
    pub timeout_ms: Option<u64>,
    /// How long verification polls health after (default 2 min).
    pub verify_timeout_ms: Option<u64>,
    /// How often verification polls health (default every 2 s).
    pub verify_every_ms: Option<u64>,
}

impl DeploySource {
    pub const DEFAULT_TIMEOUT_MS: u64 = 30_000;
    pub const DEFAULT_VERIFY_TIMEOUT_MS: u64 = 120_000;
    pub const DEFAULT_VERIFY_EVERY_MS: u64 = 2_000;
    pub const VERCEL_API: &'static str = "https://api.vercel.com";

    pub fn timeout_ms(&self) -> u64 {
        self.timeout_ms.unwrap_or(Self::DEFAULT_TIMEOUT_MS)
    }

    pub fn verify_timeout_ms(&self) -> u64 {
        self.verify_timeout_ms
            .unwrap_or(Self::DEFAULT_VERIFY_TIMEOUT_MS)
    }

    pub fn verify_every_ms(&self) -> u64 {
        self.verify_every_ms
            .unwrap_or(Self::DEFAULT_VERIFY_EVERY_MS)
    }
}

/// A config that parsed, with the line of every key for later reports.
#[derive(Debug)]
pub struct ParsedConfig {
    pub config: Config,
    pub lines: LineIndex,
}

impl Config {
    /// Parses and validates config text. Relative paths inside it are taken
    /// relative to `base_dir` (the config file's folder). Returns every
    /// problem found, in document order.
    pub fn parse(text: &str, base_dir: &Path) -> Result<ParsedConfig, Vec<Problem>> {
        let table: toml::Table =
            toml::from_str(text).map_err(|e| vec![syntax_problem(text, &e)])?;
        let lines = LineIndex::build(text);
        let mut problems = schema::validate(&table, &lines);
        if !problems.is_empty() {
            problems.sort_by_key(|p| p.line);
            return Err(problems);
        }
        let mut config: Config =
            toml::Value::Table(table)
                .try_into()
                .map_err(|e: toml::de::Error| {
                    // The schema should have caught it; report rather than panic.
                    vec![Problem {
                        path: String::new(),
                        line: 1,
                        message: e.message().to_string(),
                    }]
                })?;
        config.resolve_paths(base_dir);
        Ok(ParsedConfig { config, lines })
    }

    fn resolve_paths(&mut self, base_dir: &Path) {
        if let Some(r) = self.settings.rubric.as_mut() {
            *r = base_dir.join(&*r);
        }
        for env in self.environments.values_mut() {
            if let Some(ca) = env.ca_file.as_mut() {
                *ca = base_dir.join(&*ca);
            }
        }
    }

    /// Picks the environment: the one named, the configured default, or the
    /// only one there is.
    pub fn environment(&self, name: Option<&str>) -> Result<(&str, &Environment), String> {
        let wanted = name.or(self.default_environment.as_deref());
        match wanted {
            Some(n) => self
                .environments
                .get_key_value(n)
                .map(|(k, v)| (k.as_str(), v))
                .ok_or_else(|| {
                    format!(
                        "unknown environment '{n}'; the config defines: {}",
                        self.environment_names()
                    )
                }),
            None => match self.environments.len() {
                0 => Err("the config defines no environments; add an [environments.NAME] table".into()),
                1 => Ok(self
                    .environments
                    .iter()
                    .next()
                    .map(|(k, v)| (k.as_str(), v))
                    .expect("len is 1")),
                _ => Err(format!(
                    "several environments are configured ({}); pick one with --env NAME or set default_environment",
                    self.environment_names()
                )),
            },
        }
    }

    fn environment_names(&self) -> String {
        if self.environments.is_empty() {
            return "none".into();
        }
        self.environments
            .keys()
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Environment {
    /// Every keychain entry this environment references, with the key that
    /// references it.
    pub fn secret_refs(&self) -> Vec<(&'static str, &str)> {
        let mut refs = Vec::new();
        if let Some(pg) = &self.postgres {
            refs.push(("postgres.url_secret", pg.url_secret.as_str()));
        }
        if let Some(pgb) = &self.pgbouncer {
            refs.push(("pgbouncer.url_secret", pgb.url_secret.as_str()));
        }
        if let Some(t) = self.traces.as_ref().and_then(|t| t.token_secret.as_deref()) {
            refs.push(("traces.token_secret", t));
        }
        if let Some(t) = self.quota.as_ref().and_then(|q| q.token_secret.as_deref()) {
            refs.push(("quota.token_secret", t));
        }
        if let Some(deploy) = &self.deploy {
            if let Some(t) = deploy.token_secret.as_deref() {
                refs.push(("deploy.token_secret", t));
            }
            for secret in deploy.env.values() {
                refs.push(("deploy.env", secret.as_str()));
            }
        }
        refs
    }

    pub fn probe_timeout_ms(&self, settings: &Settings) -> u64 {
        self.probe_timeout_ms.unwrap_or(settings.probe_timeout_ms)
    }
}

#[cfg(test)]
mod tests;
