//! Two traces of the same operation side by side: spans matched by their
//! path from the root and their name (the k-th `SELECT carts` under a
//! matched parent matches the k-th one there), with each matched pair's
//! duration difference, and the spans only one trace has (missing from the
//! second, or extra in it) with everything under them. Iterative, so two
//! traces of 100,000 spans, or chains that deep, cannot overflow the stack.

use std::collections::HashMap;

use serde::Serialize;

use super::assembly::Trace;

/// One row of the comparison: a matched pair, or a span of one side only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ComparedSpan {
    pub depth: usize,
    pub service: String,
    pub name: String,
    /// The span's index in trace A, and in trace B.
    pub a: Option<usize>,
    pub b: Option<usize>,
    pub a_nanos: Option<u64>,
    pub b_nanos: Option<u64>,
}

impl ComparedSpan {
    /// B's duration less A's, for a matched pair.
    pub fn delta_nanos(&self) -> Option<i64> {
        Some(i64::try_from(self.b_nanos?).ok()? - i64::try_from(self.a_nanos?).ok()?)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Comparison {
    /// A's tree order, each of B's unmatched spans after its matched
    /// siblings.
    pub rows: Vec<ComparedSpan>,
    pub matched: usize,
    /// In A, not in B.
    pub missing: usize,
    /// In B, not in A.
    pub extra: usize,
}

/// Spans by (service, name), in sibling order, paired by occurrence.
fn pair(
    a: &Trace,
    a_ids: &[usize],
    b: &Trace,
    b_ids: &[usize],
) -> Vec<(Option<usize>, Option<usize>)> {
    let key = |t: &Trace, i: usize| (t.spans[i].service.clone(), t.spans[i].name.clone());
    let mut b_by_key: HashMap<(String, String), std::collections::VecDeque<usize>> = HashMap::new();
    for &j in b_ids {
        b_by_key.entry(key(b, j)).or_default().push_back(j);
    }
    let mut pairs: Vec<(Option<usize>, Option<usize>)> = a_ids
        .iter()
        .map(|&i| {
            (
                Some(i),
                b_by_key.get_mut(&key(a, i)).and_then(|q| q.pop_front()),
            )
        })
        .collect();
    let taken: std::collections::HashSet<usize> = pairs.iter().filter_map(|p| p.1).collect();
    pairs.extend(
        b_ids
            .iter()
            .filter(|j| !taken.contains(j))
            .map(|&j| (None, Some(j))),
    );
    pairs
}

pub fn compare(a: &Trace, b: &Trace) -> Comparison {
    let mut rows = Vec::new();
    // (A span, B span, depth), a stack in reverse so rows come out in order.
    let mut stack: Vec<(Option<usize>, Option<usize>, usize)> = pair(a, &a.roots, b, &b.roots)
        .into_iter()
        .rev()
        .map(|(i, j)| (i, j, 0))
        .collect();
    let (mut matched, mut missing, mut extra) = (0, 0, 0);
    while let Some((i, j, depth)) = stack.pop() {
        let (service, name) = match (i, j) {
            (Some(i), _) => (&a.spans[i].service, &a.spans[i].name),
            (None, Some(j)) => (&b.spans[j].service, &b.spans[j].name),
            (None, None) => continue,
        };
        match (i, j) {
            (Some(_), Some(_)) => matched += 1,
            (Some(_), None) => missing += 1,
            _ => extra += 1,
        }
        rows.push(ComparedSpan {
            depth,
            service: service.clone(),
            name: name.clone(),
            a: i,
            b: j,
            a_nanos: i.map(|i| a.spans[i].duration_nanos()),
            b_nanos: j.map(|j| b.spans[j].duration_nanos()),
        });
        let a_children: &[usize] = i.map_or(&[], |i| &a.children[i]);
        let b_children: &[usize] = j.map_or(&[], |j| &b.children[j]);
        for (ci, cj) in pair(a, a_children, b, b_children).into_iter().rev() {
            stack.push((ci, cj, depth + 1));
        }
    }
    Comparison {
        rows,
        matched,
        missing,
        extra,
    }
}
