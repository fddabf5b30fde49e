//! The health Readyroom saw while each deployment served production: its
//! own stored health samples, each tagged with the release the health URL
//! named (`version`, `commit`), matched to the provider's deployments.
//! A deployment no sample names has no entry: "not seen", never "healthy".

use std::collections::BTreeMap;

use super::{Deployment, SeenHealth};

/// Stored health samples of one release, as the health URL named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseHealth {
    pub version: Option<String>,
    pub commit: Option<String>,
    pub samples: u32,
    pub healthy: u32,
}

/// Two commit ids name the same commit when one is a prefix of the other
/// and the shorter has at least 7 characters (a short id as people write
/// it, the full one as a provider gives it).
fn same_commit(a: &str, b: &str) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    short.len() >= 7
        && long
            .to_ascii_lowercase()
            .starts_with(&short.to_ascii_lowercase())
}

/// Whether the samples of `release` were answered by `deployment`: the
/// commit decides where both name one (two deployments of one version
/// differ by commit), else the version.
fn answered_by(release: &ReleaseHealth, deployment: &Deployment) -> bool {
    match (release.commit.as_deref(), deployment.commit.as_deref()) {
        (Some(a), Some(b)) => same_commit(a, b),
        _ => matches!(
            (release.version.as_deref(), deployment.version.as_deref()),
            (Some(a), Some(b)) if a == b
        ),
    }
}

/// Per deployment id, the samples its release answered.
pub fn seen_health(
    deployments: &[Deployment],
    releases: &[ReleaseHealth],
) -> BTreeMap<String, SeenHealth> {
    let mut seen = BTreeMap::new();
    for d in deployments {
        let (samples, healthy) = releases
            .iter()
            .filter(|r| answered_by(r, d))
            .fold((0, 0), |(n, ok), r| (n + r.samples, ok + r.healthy));
        if samples > 0 {
            seen.insert(d.id.clone(), SeenHealth { samples, healthy });
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use time::OffsetDateTime;

    use super::*;
    use crate::deploys::DeployState;

    fn d(id: &str, version: Option<&str>, commit: Option<&str>) -> Deployment {
        Deployment {
            id: id.into(),
            version: version.map(str::to_string),
            commit: commit.map(str::to_string),
            message: None,
            author: None,
            created_at: OffsetDateTime::UNIX_EPOCH,
            state: DeployState::Ready,
            rollback_candidate: None,
            url: None,
        }
    }

    fn r(version: Option<&str>, commit: Option<&str>, samples: u32, healthy: u32) -> ReleaseHealth {
        ReleaseHealth {
            version: version.map(str::to_string),
            commit: commit.map(str::to_string),
            samples,
            healthy,
        }
    }

    #[test]
    fn samples_go_to_the_deployment_whose_release_answered_them() {
        let deployments = [
            d("d3", Some("2.15.0"), Some("9e1d2c4aa0b1")),
            // A redeploy of 2.14.0 from another commit.
            d("d2", Some("2.14.0"), Some("3f9c2ab77e01")),
            d("d1", Some("2.14.0"), Some("1aa2bb3cc4dd")),
            d("d0", Some("2.13.0"), None),
        ];
        let releases = [
            r(Some("2.15.0"), Some("9e1d2c4"), 10, 2),
            r(Some("2.14.0"), Some("3F9C2AB"), 6, 6),
            // Too short to tell commits apart: no match by commit, and the
            // commit decides where both have one.
            r(Some("2.14.0"), Some("1aa"), 3, 3),
            r(Some("2.13.0"), None, 4, 1),
            r(None, None, 50, 50),
        ];
        let seen = seen_health(&deployments, &releases);
        assert_eq!(
            seen["d3"],
            SeenHealth {
                samples: 10,
                healthy: 2
            }
        );
        assert!(seen["d3"].mostly_unhealthy());
        assert_eq!(
            seen["d2"],
            SeenHealth {
                samples: 6,
                healthy: 6
            }
        );
        assert!(!seen.contains_key("d1"), "{seen:?}");
        assert_eq!(
            seen["d0"],
            SeenHealth {
                samples: 4,
                healthy: 1
            }
        );
    }
}
