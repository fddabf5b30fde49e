//! The scorecard's inputs today. A capability declares its own inputs in
//! its own module; these are the ones the first capability brought, plus
//! the names of inputs whose capability is still to come (no source
//! gathers them, so every check reading them is `unknown` with the hint).

use super::{HttpProbe, Input, MetricsProbe, TlsProbe, UptimeHistory};

/// The pool stats capability's inputs, declared in its own module.
pub use crate::pools::evidence::{APP_POOL, POOLER, POSTGRES};

/// One probe per configured health URL.
pub const HEALTH: Input<Vec<HttpProbe>> =
    Input::new("health", "set health_urls for the environment");
/// A GET of the base URL, for its headers.
pub const BASE: Input<HttpProbe> = Input::new("base", "set base_url for the environment");
/// The TLS handshake with the base URL.
pub const TLS: Input<TlsProbe> = Input::new("tls", "set an https:// base_url for the environment");
/// A response of an API URL, for its rate-limit headers.
pub const RATE_LIMIT: Input<HttpProbe> = Input::new(
    "rate_limit",
    "set rate_limit_url (or protected_urls) for the environment",
);
/// A request that must fail, for the error shape.
pub const ERROR_SHAPE: Input<HttpProbe> = Input::new(
    "error_shape",
    "set base_url (or error_url) for the environment",
);
/// One unauthenticated probe per protected URL.
pub const AUTH: Input<Vec<HttpProbe>> =
    Input::new("auth", "set protected_urls for the environment");
pub const METRICS: Input<MetricsProbe> =
    Input::new("metrics", "set metrics_url for the environment");
/// This tool's own health samples of the environment, this run included.
pub const UPTIME: Input<UptimeHistory> =
    Input::new("uptime", "set health_urls for the environment");

/// The deploy rollback capability's inputs, declared in its own module.
pub use crate::deploys::evidence::{DEPLOYS, ROLLBACK_AUDIT};
