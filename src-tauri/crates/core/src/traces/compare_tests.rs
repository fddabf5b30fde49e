//! Trace comparison: matching by path and name, durations, and what only
//! one side has.

use super::tests::span;
use super::*;

const MS: u64 = 1_000_000;

/// A span named `name`, `n` its id (and its start, in ms), lasting `ms`.
fn named(n: u32, parent: Option<u32>, name: &str, ms: u64) -> Span {
    let start = u64::from(n) * MS;
    let mut s = span(n, parent, start, start + ms * MS);
    s.name = name.into();
    s.service = "api".into();
    s
}

#[test]
fn matched_spans_carry_both_durations_and_one_sides_spans_are_marked() {
    // A: request > (SELECT, SELECT, cache get > redis)
    // B: request > (SELECT, SELECT, SELECT, llm call); no cache.
    let a = Trace::assemble(vec![
        named(0, None, "POST /x", 100),
        named(1, Some(0), "SELECT", 10),
        named(2, Some(0), "SELECT", 20),
        named(3, Some(0), "cache get", 5),
        named(4, Some(3), "redis GET", 4),
    ])
    .expect("a");
    let b = Trace::assemble(vec![
        named(10, None, "POST /x", 700),
        named(11, Some(10), "SELECT", 12),
        named(12, Some(10), "SELECT", 25),
        named(13, Some(10), "SELECT", 30),
        named(14, Some(10), "chat sonnet", 600),
    ])
    .expect("b");
    let c = compare(&a, &b);
    let shape: Vec<(usize, &str, Option<u64>, Option<u64>)> = c
        .rows
        .iter()
        .map(|r| {
            (
                r.depth,
                r.name.as_str(),
                r.a_nanos.map(|n| n / MS),
                r.b_nanos.map(|n| n / MS),
            )
        })
        .collect();
    assert_eq!(
        shape,
        [
            (0, "POST /x", Some(100), Some(700)),
            (1, "SELECT", Some(10), Some(12)),
            (1, "SELECT", Some(20), Some(25)),
            (1, "cache get", Some(5), None),
            (2, "redis GET", Some(4), None),
            (1, "SELECT", None, Some(30)),
            (1, "chat sonnet", None, Some(600)),
        ]
    );
    assert_eq!((c.matched, c.missing, c.extra), (3, 2, 2));
    assert_eq!(c.rows[0].delta_nanos(), Some(600 * MS as i64));
    assert_eq!(c.rows[3].delta_nanos(), None);
}

#[test]
fn a_trace_compared_with_itself_matches_everything_even_a_deep_chain() {
    let chain: Vec<Span> = (0..100_000u32)
        .map(|n| named(n, n.checked_sub(1), "step", 1))
        .collect();
    let trace = Trace::assemble(chain).expect("chain");
    let c = compare(&trace, &trace);
    assert_eq!((c.matched, c.missing, c.extra), (100_000, 0, 0));
    assert!(c.rows.iter().all(|r| r.delta_nanos() == Some(0)));
    assert_eq!(c.rows.last().map(|r| r.depth), Some(99_999));
}
