//! Per-tier quota usage: each workspace's usage per window against its
//! plan's limits, who is near (80 %) or over, who will run out before the
//! window resets, and the totals per tier.
//!
//! Tiers and limits are data ([`plans`]): PRODUCT.md's plan table by
//! default, replaced or extended by the config's `[quota.tiers.NAME]`; a
//! tier with no limits is reported as such, never dropped or counted as
//! free. AI tokens are priced per tier ([`cost`]). Usage rows follow the quota data contract ([`usage`]); a NULL
//! count adds nothing and crosses no threshold. The bands ([`bands`]) are
//! integer comparisons, the same ones the PostgreSQL source pushes down to
//! SQL; [`summary`] is their Rust form, for rows that arrive whole (the
//! HTTP source) and as the tests' oracle.

pub mod bands;
pub mod cost;
pub mod lists;
pub mod plans;
pub mod projection;
pub mod reading;
pub mod summary;
pub mod trend;
pub mod usage;

pub use bands::{band, Band};
pub use cost::{AiCost, Price, Prices, TierCost};
pub use lists::{ListRequest, Which, WorkspaceList};
pub use plans::{Limit, Plans, TierLimits};
pub use projection::{project, Projection};
pub use reading::QuotaReading;
pub use summary::{summarize, workspaces, LimitCounts, LimitUsage, TierSummary, WorkspaceUsage};
pub use trend::{QuotaTrend, Snapshot, WorkspaceDay};
pub use usage::{UsageRow, Window};
