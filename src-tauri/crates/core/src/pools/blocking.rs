//! Who blocks whom: lock waits as a tree.
//!
//! `pg_blocking_pids` gives each waiting session the sessions it waits
//! for. Turned around, that is a forest whose roots block others and wait
//! for nobody: the sessions to look at first (often one left idle in a
//! transaction). A cycle (a deadlock PostgreSQL has not broken yet) has no
//! such root; it is reported from its lowest pid, and each session appears
//! once.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use ts_rs::TS;

use super::sample::Backend;

/// One session in the blocking tree, with the sessions waiting on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BlockingNode {
    pub pid: i32,
    /// Every session waiting on it, directly or down the tree.
    pub blocked_total: u32,
    pub waiting: Vec<BlockingNode>,
}

/// The blocking forest of `backends`, the root blocking most first.
pub fn blocking_tree(backends: &[Backend]) -> Vec<BlockingNode> {
    // blocker -> the sessions waiting on it.
    let mut waiters: BTreeMap<i32, BTreeSet<i32>> = BTreeMap::new();
    let mut waiting: BTreeSet<i32> = BTreeSet::new();
    for b in backends {
        for &blocker in &b.blocked_by {
            if blocker != b.pid {
                waiters.entry(blocker).or_default().insert(b.pid);
                waiting.insert(b.pid);
            }
        }
    }
    let mut placed = BTreeSet::new();
    let mut roots: Vec<BlockingNode> = Vec::new();
    // Blockers that wait for nobody first; then whatever a cycle left.
    let starts: Vec<i32> = waiters
        .keys()
        .copied()
        .filter(|pid| !waiting.contains(pid))
        .chain(waiters.keys().copied())
        .collect();
    for pid in starts {
        if placed.contains(&pid) {
            continue;
        }
        roots.push(grow(pid, &waiters, &mut placed));
    }
    roots.sort_by(|a, b| {
        b.blocked_total
            .cmp(&a.blocked_total)
            .then(a.pid.cmp(&b.pid))
    });
    roots
}

/// The subtree under `pid`; a session already placed is not placed again
/// (a session waiting on two blockers hangs under the first one reached).
fn grow(
    pid: i32,
    waiters: &BTreeMap<i32, BTreeSet<i32>>,
    placed: &mut BTreeSet<i32>,
) -> BlockingNode {
    placed.insert(pid);
    let mut node = BlockingNode {
        pid,
        blocked_total: 0,
        waiting: Vec::new(),
    };
    if let Some(children) = waiters.get(&pid) {
        for &child in children {
            if placed.contains(&child) {
                continue;
            }
            let sub = grow(child, waiters, placed);
            node.blocked_total += 1 + sub.blocked_total;
            node.waiting.push(sub);
        }
    }
    node
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backend(pid: i32, blocked_by: &[i32]) -> Backend {
        Backend {
            pid,
            state: Some("active".into()),
            application: "app".into(),
            user: "app".into(),
            client: "10.0.0.1".into(),
            xact_age_ms: None,
            state_age_ms: None,
            query_age_ms: None,
            wait_event: None,
            blocked_by: blocked_by.to_vec(),
            query: None,
        }
    }

    fn shape(nodes: &[BlockingNode]) -> String {
        nodes
            .iter()
            .map(|n| {
                if n.waiting.is_empty() {
                    n.pid.to_string()
                } else {
                    format!("{}({})", n.pid, shape(&n.waiting))
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn a_chain_and_a_fan_are_one_tree_under_the_root_blocker() {
        // 4711 holds a lock; 20 and 21 wait on it; 30 waits on 20.
        let backends = [
            backend(4711, &[]),
            backend(20, &[4711]),
            backend(21, &[4711]),
            backend(30, &[20]),
        ];
        let tree = blocking_tree(&backends);
        assert_eq!(shape(&tree), "4711(20(30) 21)");
        assert_eq!(tree[0].blocked_total, 3);
    }

    #[test]
    fn the_root_blocking_most_comes_first() {
        let backends = [backend(5, &[1]), backend(6, &[2]), backend(7, &[2])];
        assert_eq!(shape(&blocking_tree(&backends)), "2(6 7) 1(5)");
    }

    #[test]
    fn a_blocker_missing_from_the_sample_is_still_a_root() {
        // The blocker's own row may be hidden or gone by the time it is read.
        let tree = blocking_tree(&[backend(8, &[99])]);
        assert_eq!(shape(&tree), "99(8)");
    }

    #[test]
    fn a_deadlock_cycle_ends_and_names_each_session_once() {
        let backends = [backend(1, &[2]), backend(2, &[1]), backend(3, &[2])];
        let tree = blocking_tree(&backends);
        assert_eq!(shape(&tree), "1(2(3))");
        assert_eq!(tree[0].blocked_total, 2);
    }

    #[test]
    fn a_session_waiting_on_two_blockers_is_placed_once() {
        let backends = [backend(9, &[1, 2])];
        let tree = blocking_tree(&backends);
        let pids: usize = tree.iter().map(|n| 1 + n.blocked_total as usize).sum();
        assert_eq!(pids, 3, "{}", shape(&tree));
    }

    #[test]
    fn no_waits_no_tree() {
        assert!(blocking_tree(&[backend(1, &[]), backend(2, &[])]).is_empty());
    }
}
