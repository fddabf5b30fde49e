//! The config schema as data, and a walker that reports every problem.

use toml::{Table, Value};

use crate::source_text::{join, LineIndex, Problem};

#[derive(Clone, Copy)]
enum Ty {
    Str,
    /// An http(s) URL without credentials in it.
    Url,
    UrlList,
    Path,
    /// The name of a keychain entry.
    SecretName,
    Int {
        min: i64,
        max: i64,
    },
    OneOf(&'static [&'static str]),
    Bool,
    /// A socket address, `IP:PORT`.
    Addr,
    /// Browser origins, `scheme://host[:port]`.
    OriginList,
    /// A table of string values (resource attribute = value).
    StrMap,
    /// Host names.
    HostList,
    /// A Prometheus metric name with optional labels: `name{label="v"}`.
    Selector,
    /// Non-empty strings.
    StrList,
    /// A table of name = a price (a finite number, 0 or more).
    PriceMap,
    Table(&'static [Field]),
    /// A table of named sub-tables, all of one shape.
    Named(&'static [Field]),
}

#[derive(Clone, Copy)]
struct Field {
    key: &'static str,
    ty: Ty,
    required: bool,
    /// What the key means, for the Settings forms (environment keys).
    doc: &'static str,
    /// What applies when the key is absent, in words ("" when nothing does).
    default: &'static str,
}

const fn opt(key: &'static str, ty: Ty) -> Field {
    Field {
        key,
        ty,
        required: false,
        doc: "",
        default: "",
    }
}

const fn req(key: &'static str, ty: Ty) -> Field {
    Field {
        key,
        ty,
        required: true,
        doc: "",
        default: "",
    }
}

impl Field {
    /// The key's meaning and its default, shown beside its form field.
    const fn doc(self, doc: &'static str, default: &'static str) -> Field {
        Field {
            doc,
            default,
            ..self
        }
    }
}

const TIMEOUT: Ty = Ty::Int {
    min: 100,
    max: 600_000,
};

const ROOT: &[Field] = &[
    opt("default_environment", Ty::Str),
    opt("settings", Ty::Table(SETTINGS)),
    opt("environments", Ty::Named(ENVIRONMENT)),
    opt("quota", Ty::Table(QUOTA_PLANS)),
];

const QUOTA_PLANS: &[Field] = &[
    opt("tiers", Ty::Named(TIER_LIMITS)),
    opt("ai_cost", Ty::Table(AI_COST)),
];

/// `crate::config::AiCostSettings`.
const AI_COST: &[Field] = &[
    opt("currency", Ty::Str),
    opt("model", Ty::Str),
    opt("prices", Ty::PriceMap),
    opt("tiers", Ty::StrMap),
];

const LIMIT: Ty = Ty::Int {
    min: 0,
    max: i64::MAX,
};

/// `crate::quota::Limit`'s keys.
const TIER_LIMITS: &[Field] = &[
    opt("requests_per_minute", LIMIT),
    opt("requests_per_hour", LIMIT),
    opt("requests_per_day", LIMIT),
    opt("ai_calls_per_day", LIMIT),
    opt("ai_tokens_per_day", LIMIT),
];

const SETTINGS: &[Field] = &[
    opt("probe_timeout_ms", TIMEOUT),
    opt("rubric", Ty::Path),
    opt("otlp", Ty::Table(OTLP)),
    opt("spans", Ty::Table(SPAN_STORE)),
    opt("pools", Ty::Table(POOL_SAMPLER)),
    opt("quota", Ty::Table(QUOTA_SAMPLER)),
];

const QUOTA_SAMPLER: &[Field] = &[
    opt(
        "every_ms",
        Ty::Int {
            min: 1_000,
            max: 86_400_000,
        },
    ),
    opt("retention_days", Ty::Int { min: 1, max: 3_650 }),
    opt("keep", Ty::Int { min: 1, max: 1_000 }),
];

const POOL_SAMPLER: &[Field] = &[
    opt(
        "every_ms",
        Ty::Int {
            min: 1_000,
            max: 3_600_000,
        },
    ),
    opt(
        "live_every_ms",
        Ty::Int {
            min: 250,
            max: 60_000,
        },
    ),
    opt("retention_days", Ty::Int { min: 1, max: 3_650 }),
];

const SPAN_STORE: &[Field] = &[
    opt("retention_days", Ty::Int { min: 1, max: 3_650 }),
    opt(
        "max_bytes",
        Ty::Int {
            min: 1 << 20,
            max: i64::MAX,
        },
    ),
];

const OTLP: &[Field] = &[
    opt("enabled", Ty::Bool),
    opt("http", Ty::Addr),
    opt("grpc", Ty::Addr),
    opt("allowed_origins", Ty::OriginList),
    opt(
        "max_body_bytes",
        Ty::Int {
            min: 1_024,
            max: 1 << 30,
        },
    ),
];

const ENVIRONMENT: &[Field] = &[
    opt("base_url", Ty::Url).doc(
        "The app's public URL: TLS, security headers and the API checks read it.",
        "",
    ),
    opt("health_urls", Ty::UrlList).doc(
        "Health endpoints: status, latency, and the JSON's dependency and version detail.",
        "",
    ),
    opt("protected_urls", Ty::UrlList).doc(
        "API URLs that must answer 401 or 403 without credentials.",
        "",
    ),
    opt("metrics_url", Ty::Url).doc("The app's Prometheus metrics (text format).", ""),
    opt("rate_limit_url", Ty::Url).doc(
        "An API response to read the rate-limit headers from.",
        "the first protected URL",
    ),
    opt("error_url", Ty::Url).doc(
        "A URL that must fail, to check the error's shape (problem+json).",
        "a random path under /api/",
    ),
    opt("ca_file", Ty::Path).doc(
        "An extra trust root (PEM) for an internal CA; relative to the config file.",
        "the system's roots",
    ),
    opt("probe_timeout_ms", TIMEOUT).doc(
        "How long each probe may take, in milliseconds.",
        "[settings] probe_timeout_ms, 5000",
    ),
    opt("postgres", Ty::Table(POSTGRES)),
    opt("pgbouncer", Ty::Table(PGBOUNCER)),
    opt("app_pool", Ty::Table(APP_POOL)),
    opt("traces", Ty::Table(TRACES)),
    opt("quota", Ty::Table(QUOTA)),
    opt("deploy", Ty::Table(DEPLOY)),
];

const POSTGRES: &[Field] = &[
    req("url_secret", Ty::SecretName)
    .doc(
        "The keychain entry holding the database URL (postgres://USER:PASSWORD@HOST/DB); the role needs pg_monitor to see other roles' sessions.",
        "",
    ),
    opt(
        "statement_timeout_ms",
        Ty::Int {
            min: 100,
            max: 60_000,
        },
    )
    .doc(
        "Each statement's limit on the server, in milliseconds.",
        "2000",
    ),
    opt("store_query_text", Ty::Bool)
    .doc(
        "Keep the longest queries' text (truncated) in stored samples.",
        "false",
    ),
    opt("allow_cancel", Ty::Bool)
    .doc(
        "Allow cancelling or terminating a backend from the Pools view and `pool cancel` (the role needs pg_signal_backend).",
        "false",
    ),
];

const PGBOUNCER: &[Field] = &[req("url_secret", Ty::SecretName)
    .doc(
        "The keychain entry holding the pooler's admin console URL (postgres://USER:PASSWORD@HOST:6432/pgbouncer); a stats_users account is enough.",
        "",
    )];

const APP_POOL: &[Field] = &[
    opt("metrics_url", Ty::Url).doc(
        "Where the app's pool metrics are (Prometheus).",
        "the environment's metrics_url",
    ),
    opt("in_use", Ty::Selector).doc(
        "The metric of connections in use; labels optional, as in name{label=VALUE}.",
        "the demo's, HikariCP's or node-postgres's names, tried in order",
    ),
    opt("idle", Ty::Selector).doc("The metric of idle connections.", "as for in_use"),
    opt("waiting", Ty::Selector).doc(
        "The metric of callers waiting for a connection.",
        "as for in_use",
    ),
    opt("max", Ty::Selector).doc("The metric of the pool's size.", "as for in_use"),
    opt("total", Ty::Selector).doc(
        "The metric of open connections, in use and idle.",
        "as for in_use",
    ),
];

const TRACES: &[Field] = &[
    opt("tempo_url", Ty::Url)
    .doc(
        "Tempo's query frontend, where the team keeps traces: they are listed, shown and scored from there.",
        "the local receiver only",
    ),
    opt("jaeger_url", Ty::Url)
    .doc(
        "Or Jaeger's query service (/api/v3); Tempo wins if both are set.",
        "the local receiver only",
    ),
    opt("token_secret", Ty::SecretName)
    .doc(
        "The keychain entry holding a bearer token for Tempo or Jaeger.",
        "no token",
    ),
    opt("org_id", Ty::Str)
    .doc(
        "Tempo's tenant (X-Scope-OrgID).",
        "none",
    ),
    opt("match", Ty::StrMap)
    .doc(
        "Received spans whose resource has all of these attributes go to this environment.",
        "by deployment.environment.name",
    ),
    opt("upstream_hosts", Ty::HostList)
    .doc(
        "Hosts whose CLIENT spans count as upstream calls (LLM calls always do).",
        "none",
    ),
    opt("window_hours", Ty::Int { min: 1, max: 168 })
    .doc(
        "How far back the trace checks look, in hours.",
        "24",
    ),
    opt("acquire_spans", Ty::StrList)
    .doc(
        "Span names that wait for a database connection: each route's share of waiting shows in the Pools view.",
        "pg-pool.connect",
    ),
];

const QUOTA: &[Field] = &[
    req("source", Ty::OneOf(super::QuotaSourceKind::NAMES))
    .doc(
        "Where usage is read: postgres (the quota data contract, through this environment's PostgreSQL) or http (the app's usage endpoint).",
        "",
    ),
    opt("relation", Ty::Str)
    .doc(
        "postgres: the relation holding the contract's rows (schema.name works).",
        "readyroom_usage",
    ),
    opt("query", Ty::Str)
    .doc(
        "postgres: a read-only query returning the contract's columns, instead of the relation.",
        "none",
    ),
    opt("usage_url", Ty::Url)
    .doc(
        "http: the app's usage endpoint.",
        "",
    ),
    opt("token_secret", Ty::SecretName)
    .doc(
        "http: the keychain entry holding the endpoint's bearer token.",
        "no token",
    ),
];

const DEPLOY: &[Field] = &[
    req("provider", Ty::OneOf(super::DeployProvider::NAMES))
    .doc(
        "What rolls production back: vercel, webhook, command or demo.",
        "",
    ),
    opt("project_id", Ty::Str)
    .doc(
        "vercel: the project's id (prj_...).",
        "",
    ),
    opt("team_id", Ty::Str)
    .doc(
        "vercel: the project's team (teamId), where a team owns it.",
        "none",
    ),
    opt("token_secret", Ty::SecretName)
    .doc(
        "The keychain entry holding the provider's bearer token (webhook: its secret).",
        "",
    ),
    opt("url", Ty::Url)
    .doc(
        "vercel: the API; demo: its provider API; webhook: the URL a rollback is POSTed to.",
        "vercel: https://api.vercel.com",
    ),
    opt("secret_header", Ty::Str)
    .doc(
        "webhook: the header that carries the secret as it is.",
        "Authorization: Bearer",
    ),
    opt("body", Ty::Str)
    .doc(
        "webhook: the JSON to send; its strings may hold {{target}}, {{reason}}, {{operator}}, {{environment}} and {{action}}.",
        "all six under their own names",
    ),
    opt("status_url", Ty::Url)
    .doc(
        "webhook: read until its status says success or failure.",
        "none: accepted is the end",
    ),
    opt("command", Ty::StrList)
    .doc(
        "command: the program and its arguments (no shell runs them), placeholders allowed.",
        "",
    ),
    opt("env", Ty::StrMap)
    .doc(
        "command: variable = keychain entry, the only way a secret reaches it.",
        "none",
    ),
    opt("timeout_ms", TIMEOUT)
    .doc(
        "How long the rollback call itself may take (a command is killed past it), in milliseconds.",
        "30000",
    ),
    opt(
        "verify_timeout_ms",
        Ty::Int {
            min: 1_000,
            max: 3_600_000,
        },
    )
    .doc(
        "How long health is polled after a rollback, in milliseconds.",
        "120000",
    ),
    opt(
        "verify_every_ms",
        Ty::Int {
            min: 250,
            max: 60_000,
        },
    )
    .doc(
        "How often health is polled (start to start), in milliseconds.",
        "2000",
    ),
];

/// Keys people reach for when they paste a credential into the file.
const CREDENTIAL_KEYS: &[&str] = &[
    "url",
    "password",
    "token",
    "dsn",
    "database_url",
    "secret",
    "api_key",
];

pub(super) fn validate(root: &Table, lines: &LineIndex) -> Vec<Problem> {
    let mut walker = Walker {
        lines,
        problems: Vec::new(),
        secret_vars: Default::default(),
    };
    walker.table(root, "", ROOT);
    ai_cost_models(&mut walker, root);
    if let Some(envs) = root.get("environments").and_then(Value::as_table) {
        for (name, env) in envs {
            if let Some(env) = env.as_table() {
                quota_source(&mut walker, name, env);
                deploy_source(&mut walker, name, env);
            }
        }
    }
    if let Some(Value::String(default)) = root.get("default_environment") {
        let defined = root
            .get("environments")
            .and_then(Value::as_table)
            .is_some_and(|envs| envs.contains_key(default));
        if !defined {
            walker.push(
                "default_environment",
                format!("names environment '{default}', which is not defined under [environments]"),
            );
        }
    }
    walker.problems
}

/// What a quota source needs besides its own keys: the database it reads
/// through, or the endpoint; one place to read from, not two.
fn quota_source(walker: &mut Walker, name: &str, env: &Table) {
    let Some(quota) = env.get("quota").and_then(Value::as_table) else {
        return;
    };
    let path = format!("environments.{name}.quota");
    match quota.get("source").and_then(Value::as_str) {
        Some("postgres") => {
            if !env.contains_key("postgres") {
                walker.push(
                    &format!("{path}.source"),
                    format!("source = \"postgres\" reads the usage through [environments.{name}.postgres]; add that section (url_secret), or read the usage endpoint with source = \"http\" and usage_url"),
                );
            }
            if quota.contains_key("relation") && quota.contains_key("query") {
                walker.push(
                    &format!("{path}.query"),
                    "set relation or query, not both: the query replaces the relation".into(),
                );
            }
        }
        Some("http") if !quota.contains_key("usage_url") => walker.push(
            &format!("{path}.usage_url"),
            "source = \"http\" needs usage_url, the app's usage endpoint".into(),
        ),
        _ => {}
    }
}

/// What each deploy provider needs besides its own keys.
fn deploy_source(walker: &mut Walker, name: &str, env: &Table) {
    let Some(deploy) = env.get("deploy").and_then(Value::as_table) else {
        return;
    };
    let path = format!("environments.{name}.deploy");
    let provider = deploy.get("provider").and_then(Value::as_str);
    let needs: &[(&str, &str)] = match provider {
        Some("vercel") => &[
            ("project_id", "the Vercel project's id (prj_…)"),
            (
                "token_secret",
                "the keychain entry holding a Vercel access token",
            ),
        ],
        Some("demo") => &[("url", "the demo's provider API")],
        Some("webhook") => &[("url", "the URL a rollback is POSTed to")],
        Some("command") => &[("command", "the program and its arguments, as a list")],
        _ => &[],
    };
    for (key, what) in needs {
        if !deploy.contains_key(*key) {
            walker.push(
                &format!("{path}.{key}"),
                format!(
                    "provider = \"{}\" needs {key}: {what}",
                    provider.unwrap_or_default()
                ),
            );
        }
    }
    if let Some(Value::Array(command)) = deploy.get("command") {
        if command.is_empty() {
            walker.push(
                &format!("{path}.command"),
                "command is empty: name the program to run, then its arguments".into(),
            );
        }
    }
    if let Some(Value::String(body)) = deploy.get("body") {
        if let Err(e) = serde_json::from_str::<serde_json::Value>(body) {
            walker.push(
                &format!("{path}.body"),
                format!("body is not JSON ({e}); write the JSON to send, with {{{{target}}}}, {{{{reason}}}} … in its strings"),
            );
        }
    }
    if let Some(Value::Table(vars)) = deploy.get("env") {
        for (var, secret) in vars {
            let ok_var =
                !var.is_empty() && var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !ok_var {
                walker.push(
                    &join(&format!("{path}.env"), var),
                    format!("{var:?} is not an environment variable name (letters, digits and _)"),
                );
            }
            if secret.as_str().is_some_and(|s| s.trim().is_empty()) {
                walker.push(
                    &join(&format!("{path}.env"), var),
                    "names no keychain entry: give the entry's name".into(),
                );
            }
        }
    }
}

/// Every model `[quota.ai_cost]` prices a tier as has a price: the
/// default model has one built in, any other needs its own in `prices`.
fn ai_cost_models(walker: &mut Walker, root: &Table) {
    let Some(cost) = root
        .get("quota")
        .and_then(|q| q.get("ai_cost"))
        .and_then(Value::as_table)
    else {
        return;
    };
    let priced = |model: &str| {
        model == crate::quota::cost::DEFAULT_MODEL
            || cost
                .get("prices")
                .and_then(Value::as_table)
                .is_some_and(|p| p.contains_key(model))
    };
    let mut named: Vec<(String, &str)> = Vec::new();
    if let Some(model) = cost.get("model").and_then(Value::as_str) {
        named.push(("quota.ai_cost.model".into(), model));
    }
    if let Some(tiers) = cost.get("tiers").and_then(Value::as_table) {
        for (tier, model) in tiers {
            if let Some(model) = model.as_str() {
                named.push((join("quota.ai_cost.tiers", tier), model));
            }
        }
    }
    for (path, model) in named {
        if !priced(model) {
            walker.push(
                &path,
                format!("model '{model}' has no price: add it to [quota.ai_cost.prices] as \"{model}\" = PRICE_PER_MILLION_TOKENS"),
            );
        }
    }
}

struct Walker<'a> {
    lines: &'a LineIndex,
    problems: Vec<Problem>,
    /// Each secret's environment variable, with the first name and key
    /// that mapped to it.
    secret_vars: std::collections::BTreeMap<String, (String, String)>,
}

impl Walker<'_> {
    fn push(&mut self, path: &str, message: String) {
        self.problems.push(Problem {
            path: path.to_string(),
            line: self.lines.line_of(path),
            message,
        });
    }

    /// `a.b` and `a_b` are two keychain entries but one environment
    /// variable, so one would silently stand in for the other.
    fn one_variable_per_secret(&mut self, name: &str, path: &str) {
        let var = secret_env_var(name);
        match self.secret_vars.get(&var) {
            Some((first, first_path)) if first != name => {
                let message = format!(
                    "secret names '{first}' (at {first_path}) and '{name}' both map to the environment variable {var}; rename one of them"
                );
                self.push(path, message);
            }
            Some(_) => {}
            None => {
                self.secret_vars
                    .insert(var, (name.to_string(), path.to_string()));
            }
        }
    }

    fn table(&mut self, table: &Table, path: &str, fields: &[Field]) {
        for (key, value) in table {
            let key_path = join(path, key);
            match fields.iter().find(|f| f.key == key) {
                Some(field) => self.value(value, &key_path, field.ty),
                None => {
                    let known: Vec<&str> = fields.iter().map(|f| f.key).collect();
                    let mut msg =
                        format!("unknown key '{key}'; expected one of: {}", known.join(", "));
                    if CREDENTIAL_KEYS.contains(&key.as_str()) {
                        msg.push_str(
                            ". Credentials never go in the config file: store the value with \
                             `readyroom secret set NAME` and reference it by name (for example url_secret = \"NAME\")",
                        );
                    }
                    self.push(&key_path, msg);
                }
            }
        }
        for field in fields.iter().filter(|f| f.required) {
            if !table.contains_key(field.key) {
                self.push(
                    &join(path, field.key),
                    "is required but missing".to_string(),
                );
            }
        }
    }

    fn value(&mut self, value: &Value, path: &str, ty: Ty) {
        match ty {
            Ty::Str | Ty::Path => {
                if let Some(s) = self.expect_str(value, path) {
                    if s.trim().is_empty() {
                        self.push(path, "must not be empty".into());
                    }
                }
            }
            Ty::Url => {
                if let Some(s) = self.expect_str(value, path) {
                    if let Err(msg) = check_url(s) {
                        self.push(path, msg);
                    }
                }
            }
            Ty::UrlList => match value {
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        self.value(item, &format!("{path}[{i}]"), Ty::Url);
                    }
                }
                other => self.push(
                    path,
                    format!("expected an array of URLs, found {}", other.type_str()),
                ),
            },
            Ty::SecretName => {
                if let Some(s) = self.expect_str(value, path) {
                    match check_secret_name(s) {
                        Err(msg) => self.push(path, msg),
                        Ok(()) => self.one_variable_per_secret(s, path),
                    }
                }
            }
            Ty::Int { min, max } => match value {
                Value::Integer(n) if (min..=max).contains(n) => {}
                Value::Integer(n) => self.push(
                    path,
                    format!("{n} is out of range; expected {min} to {max}"),
                ),
                other => self.push(
                    path,
                    format!("expected an integer, found {}", other.type_str()),
                ),
            },
            Ty::StrList => match value {
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let at = format!("{path}[{i}]");
                        if let Some(s) = self.expect_str(item, &at) {
                            if s.trim().is_empty() {
                                self.push(&at, "must not be empty".into());
                            }
                        }
                    }
                }
                other => self.push(
                    path,
                    format!("expected a list of names, found {}", other.type_str()),
                ),
            },
            Ty::Selector => {
                if let Some(s) = self.expect_str(value, path) {
                    if let Err(msg) = crate::pools::app_metrics::Selector::parse(s) {
                        self.push(path, msg);
                    }
                }
            }
            Ty::Bool => {
                if !value.is_bool() {
                    self.push(
                        path,
                        format!("expected true or false, found {}", value.type_str()),
                    );
                }
            }
            Ty::Addr => {
                if let Some(s) = self.expect_str(value, path) {
                    if s.parse::<std::net::SocketAddr>().is_err() {
                        self.push(
                            path,
                            format!(
                                "'{s}' is not an address; expected IP:PORT, such as 127.0.0.1:4318"
                            ),
                        );
                    }
                }
            }
            Ty::OriginList => match value {
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let at = format!("{path}[{i}]");
                        if let Some(s) = self.expect_str(item, &at) {
                            if let Err(msg) = check_origin(s) {
                                self.push(&at, msg);
                            }
                        }
                    }
                }
                other => self.push(
                    path,
                    format!("expected an array of origins, found {}", other.type_str()),
                ),
            },
            Ty::HostList => match value {
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let at = format!("{path}[{i}]");
                        if let Some(s) = self.expect_str(item, &at) {
                            if s.is_empty() || s.contains(['/', ':', ' ', '@']) {
                                self.push(
                                    &at,
                                    format!("'{s}' is not a host name; write the host alone, such as api.openai.com"),
                                );
                            }
                        }
                    }
                }
                other => self.push(
                    path,
                    format!(
                        "expected an array of host names, found {}",
                        other.type_str()
                    ),
                ),
            },
            Ty::PriceMap => match value {
                Value::Table(t) => {
                    for (key, item) in t {
                        let at = join(path, key);
                        match item {
                            Value::Integer(n) if *n >= 0 => {}
                            Value::Float(f) if f.is_finite() && *f >= 0.0 => {}
                            other => self.push(
                                &at,
                                format!(
                                    "expected a price per million tokens (a number, 0 or more), found {}",
                                    if other.is_integer() || other.is_float() { other.to_string() } else { other.type_str().to_string() }
                                ),
                            ),
                        }
                    }
                }
                other => self.push(
                    path,
                    format!(
                        "expected a table of model = price per million tokens, found {}",
                        other.type_str()
                    ),
                ),
            },
            Ty::StrMap => match value {
                Value::Table(t) => {
                    for (key, item) in t {
                        self.expect_str(item, &join(path, key));
                    }
                }
                other => self.push(
                    path,
                    format!(
                        "expected a table of attribute = \"value\", found {}",
                        other.type_str()
                    ),
                ),
            },
            Ty::OneOf(choices) => {
                if let Some(s) = self.expect_str(value, path) {
                    if !choices.contains(&s) {
                        self.push(path, format!("'{s}' is not one of: {}", choices.join(", ")));
                    }
                }
            }
            Ty::Table(fields) => match value {
                Value::Table(t) => self.table(t, path, fields),
                other => self.push(
                    path,
                    format!("expected a table, found {}", other.type_str()),
                ),
            },
            Ty::Named(fields) => match value {
                Value::Table(t) => {
                    for (name, inner) in t {
                        let inner_path = join(path, name);
                        match inner {
                            Value::Table(it) => self.table(it, &inner_path, fields),
                            other => self.push(
                                &inner_path,
                                format!("expected a table, found {}", other.type_str()),
                            ),
                        }
                    }
                }
                other => self.push(
                    path,
                    format!("expected a table, found {}", other.type_str()),
                ),
            },
        }
    }

    fn expect_str<'v>(&mut self, value: &'v Value, path: &str) -> Option<&'v str> {
        match value {
            Value::String(s) => Some(s),
            other => {
                self.push(
                    path,
                    format!("expected a string, found {}", other.type_str()),
                );
                None
            }
        }
    }
}

fn check_url(s: &str) -> Result<(), String> {
    let url = url::Url::parse(s).map_err(|e| format!("is not a valid URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "'{}' must be an http:// or https:// URL",
            url.scheme()
        ));
    }
    if url.password().is_some() || !url.username().is_empty() {
        // Do not echo the URL: it holds a credential.
        return Err(
            "a URL must not carry credentials; store secrets with `readyroom secret set NAME`"
                .into(),
        );
    }
    Ok(())
}

/// A browser origin as the `Origin` header sends it: scheme, host and
/// port, nothing after (no path, not even `/`).
fn check_origin(s: &str) -> Result<(), String> {
    let url = url::Url::parse(s).map_err(|e| format!("'{s}' is not an origin ({e})"))?;
    let origin = url.origin().ascii_serialization();
    if origin != s {
        return Err(format!(
            "'{s}' is not an origin as browsers send it; write it as '{origin}'"
        ));
    }
    Ok(())
}

/// `READYROOM_SECRET_<NAME>`: upper-case, every non-alphanumeric as `_`.
pub fn secret_env_var(name: &str) -> String {
    let suffix: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("READYROOM_SECRET_{suffix}")
}

/// Secret names become keychain account names and environment variable
/// suffixes, so keep them to a portable alphabet.
pub fn check_secret_name(s: &str) -> Result<(), String> {
    if s.is_empty() || s.len() > 128 {
        return Err("a secret name must have 1 to 128 characters".into());
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/')))
    {
        return Err(format!(
            "secret name '{s}' has the character {c:?}; use letters, digits, '.', '_', '-' and '/'"
        ));
    }
    Ok(())
}

fn field_kind(ty: Ty) -> Option<super::form::FieldKind> {
    use super::form::FieldKind as K;
    Some(match ty {
        Ty::Str => K::Text,
        Ty::Url => K::Url,
        Ty::UrlList => K::UrlList,
        Ty::Path => K::Path,
        Ty::SecretName => K::Secret,
        Ty::Int { min, max } => K::Integer { min, max },
        Ty::OneOf(choices) => K::Choice {
            choices: choices.iter().map(|c| c.to_string()).collect(),
        },
        Ty::Bool => K::Bool,
        Ty::HostList => K::HostList,
        Ty::StrList => K::TextList,
        Ty::StrMap => K::TextMap,
        Ty::Selector => K::Selector,
        Ty::Addr | Ty::OriginList | Ty::PriceMap | Ty::Table(_) | Ty::Named(_) => return None,
    })
}

fn form_fields(fields: &[Field]) -> Vec<super::form::FormField> {
    fields
        .iter()
        .filter_map(|f| {
            Some(super::form::FormField {
                key: f.key.to_string(),
                kind: field_kind(f.ty)?,
                meaning: f.doc.to_string(),
                default: f.default.to_string(),
                required: f.required,
            })
        })
        .collect()
}

/// `[environments.NAME]` as form sections: its own keys, then a section
/// per table, in the schema's order.
pub(super) fn environment_form() -> Vec<super::form::FormSection> {
    let section = |key: &str, fields: &[Field]| {
        let (_, title, about, test) = super::form::SECTIONS
            .iter()
            .find(|(k, ..)| *k == key)
            .copied()
            .unwrap_or((key, key, "", None));
        super::form::FormSection {
            key: key.to_string(),
            title: title.to_string(),
            about: about.to_string(),
            test: test.map(str::to_string),
            fields: form_fields(fields),
        }
    };
    let mut sections = vec![section("", ENVIRONMENT)];
    for f in ENVIRONMENT {
        if let Ty::Table(fields) = f.ty {
            sections.push(section(f.key, fields));
        }
    }
    sections
}

/// A URL as the form may show it: without the user and password a
/// pasted one carries (the config check refuses it without echoing it).
fn without_credentials(value: &Value) -> Value {
    match value.as_str().map(url::Url::parse) {
        Some(Ok(mut url)) if !url.username().is_empty() || url.password().is_some() => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            Value::String(url.to_string())
        }
        _ => value.clone(),
    }
}

fn known(table: &Table, fields: &[Field]) -> Table {
    let mut out = Table::new();
    for (key, value) in table {
        let Some(field) = fields.iter().find(|f| f.key == key) else {
            continue;
        };
        let shown = match (field.ty, value) {
            (Ty::Table(inner), Value::Table(t)) => Value::Table(known(t, inner)),
            (Ty::Url, v) => without_credentials(v),
            (Ty::UrlList, Value::Array(items)) => {
                Value::Array(items.iter().map(without_credentials).collect())
            }
            (_, v) => v.clone(),
        };
        out.insert(key.clone(), shown);
    }
    out
}

/// `[environments.NAME]`'s keys the form knows, as the file has them,
/// URLs without credentials; keys the schema does not know (where a
/// pasted password would be) are left out.
pub(super) fn form_values(env: &Table) -> Table {
    known(env, ENVIRONMENT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    /// A value of type `ty` that the schema accepts.
    fn sample(ty: Ty) -> Value {
        match ty {
            Ty::Str => Value::String("x".into()),
            Ty::Url => Value::String("https://app.example.test/x".into()),
            Ty::UrlList => Value::Array(vec![sample(Ty::Url)]),
            Ty::Path => Value::String("file.pem".into()),
            Ty::SecretName => Value::String("x/secret".into()),
            Ty::Int { min, .. } => Value::Integer(min),
            Ty::OneOf(choices) => Value::String(choices[0].into()),
            Ty::Bool => Value::Boolean(true),
            Ty::Selector => Value::String("pool_waiting{pool=\"main\"}".into()),
            Ty::StrList => Value::Array(vec![Value::String("pg-pool.connect".into())]),
            Ty::PriceMap => {
                let mut map = Table::new();
                map.insert("x".into(), Value::Float(0.6));
                Value::Table(map)
            }
            Ty::Addr => Value::String("127.0.0.1:4318".into()),
            Ty::OriginList => Value::Array(vec![Value::String("http://localhost:3000".into())]),
            Ty::HostList => Value::Array(vec![Value::String("api.openai.com".into())]),
            Ty::StrMap => {
                let mut map = Table::new();
                map.insert("service.namespace".into(), Value::String("shop".into()));
                Value::Table(map)
            }
            Ty::Table(fields) => Value::Table(sample_table(fields)),
            Ty::Named(fields) => {
                let mut named = Table::new();
                named.insert("x".into(), Value::Table(sample_table(fields)));
                Value::Table(named)
            }
        }
    }

    fn sample_table(fields: &[Field]) -> Table {
        fields
            .iter()
            .map(|f| (f.key.to_string(), sample(f.ty)))
            .collect()
    }

    /// The schema (which reports every problem with its line) and the serde
    /// types (which hold the config) describe the same keys: a document with
    /// every key the schema knows deserializes, every section included.
    #[test]
    fn every_schema_key_reaches_the_config_types() {
        let mut root = sample_table(ROOT);
        // Every key at once is one too many only for the quota source,
        // whose relation and query exclude each other when it reads
        // PostgreSQL; over HTTP both are ignored.
        root["environments"]["x"]["quota"]["source"] = Value::String("http".into());
        // A webhook body is JSON; a command's env names variables.
        root["environments"]["x"]["deploy"]["body"] = Value::String("{}".into());
        let mut vars = Table::new();
        vars.insert("TOKEN".into(), Value::String("x/token".into()));
        root["environments"]["x"]["deploy"]["env"] = Value::Table(vars);
        // The sample tier map's model needs a price too.
        root["quota"]["ai_cost"]["prices"]
            .as_table_mut()
            .expect("prices")
            .insert("shop".into(), Value::Integer(2));
        let text = toml::to_string(&root).expect("sample serializes");
        let parsed = Config::parse(&text, std::path::Path::new("/base"))
            .unwrap_or_else(|problems| panic!("{problems:?}\n{text}"));
        let env = &parsed.config.environments["x"];
        assert!(env.base_url.is_some() && env.metrics_url.is_some());
        assert!(env.rate_limit_url.is_some() && env.error_url.is_some());
        assert!(env.ca_file.is_some() && env.probe_timeout_ms.is_some());
        assert!(env.postgres.is_some() && env.pgbouncer.is_some());
        assert!(env.traces.as_ref().is_some_and(|t| t.tempo_url.is_some()
            && t.jaeger_url.is_some()
            && t.token_secret.is_some()
            && t.org_id.is_some()));
        let quota = env.quota.as_ref().expect("quota");
        assert!(quota.relation.is_some() && quota.query.is_some());
        assert!(quota.usage_url.is_some() && quota.token_secret.is_some());
        let deploy = env.deploy.as_ref().expect("deploy");
        assert!(deploy.project_id.is_some() && deploy.team_id.is_some());
        assert!(deploy.token_secret.is_some() && deploy.url.is_some() && deploy.command.is_some());
        assert!(deploy.secret_header.is_some() && deploy.body.is_some());
        assert!(deploy.status_url.is_some() && !deploy.env.is_empty());
        assert!(deploy.timeout_ms.is_some() && deploy.verify_timeout_ms.is_some());
        assert!(deploy.verify_every_ms.is_some());
        assert!(parsed.config.settings.rubric.is_some());
        let cost = &parsed.config.quota.ai_cost;
        assert!(cost.currency.is_some() && cost.model.is_some());
        assert!(cost.prices.contains_key("x") && !cost.tiers.is_empty());
        let tier = &parsed.config.quota.tiers["x"];
        assert_eq!(tier.len(), crate::quota::Limit::ALL.len(), "{tier:?}");
    }

    #[test]
    fn quota_tiers_lay_limits_over_the_plan_table() {
        let text = "[quota.tiers.free]\nrequests_per_minute = 20\n\n[quota.tiers.team]\nai_calls_per_day = 300\n";
        let parsed = Config::parse(text, std::path::Path::new("/base")).expect("parses");
        let plans = parsed.config.quota.plans();
        let free = plans.limits("free").expect("free");
        assert_eq!(free.get(crate::quota::Limit::RequestsPerMinute), Some(20));
        assert_eq!(free.get(crate::quota::Limit::RequestsPerDay), Some(1_000));
        assert!(plans.limits("team").is_some());
        let wrong = Config::parse(
            "[quota.tiers.free]\nrequests_per_week = 5\nrequests_per_day = -1\n",
            std::path::Path::new("/base"),
        )
        .expect_err("unknown key and negative limit");
        assert_eq!(wrong.len(), 2, "{wrong:?}");
        assert!(
            wrong.iter().any(|p| p.path.contains("requests_per_week")),
            "{wrong:?}"
        );
    }

    #[test]
    fn ai_cost_prices_models_and_refuses_a_model_without_a_price() {
        let text = "[quota.ai_cost]\nmodel = \"small\"\ntiers = { enterprise = \"large\" }\n\n[quota.ai_cost.prices]\nsmall = 0.6\nlarge = 15\n";
        let parsed = Config::parse(text, std::path::Path::new("/base")).expect("parses");
        let plans = parsed.config.quota.plans();
        assert_eq!(plans.prices().of("Enterprise").per_million, 15.0);
        assert_eq!(plans.prices().of("free").model, "small");
        let wrong = Config::parse(
            "[quota.ai_cost]\nmodel = \"gpt\"\ntiers = { free = \"default\", pro = \"big\" }\n\n[quota.ai_cost.prices]\nneg = -1\nword = \"cheap\"\n",
            std::path::Path::new("/base"),
        )
        .expect_err("unpriced models and bad prices");
        let messages: Vec<String> = wrong
            .iter()
            .map(|p| format!("{}: {}", p.path, p.message))
            .collect();
        assert_eq!(messages.len(), 4, "{messages:?}");
        assert!(
            messages
                .iter()
                .any(|m| m.starts_with("quota.ai_cost.model: model 'gpt' has no price")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.starts_with("quota.ai_cost.tiers.pro: model 'big' has no price")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.contains("prices.neg") && m.contains("found -1")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.contains("prices.word") && m.contains("found string")),
            "{messages:?}"
        );
    }
}
