//! Who will run out before the window resets, at the rate they are going:
//! `value` used in the `elapsed` part of the window reaches `limit` at
//! `window_start + elapsed * limit / value`. A projection, not a
//! measurement: it carries its basis (the share of the window elapsed and
//! the rate) so it is shown as one.

use serde::Serialize;
use time::OffsetDateTime;
use ts_rs::TS;

use super::usage::Window;

/// Too little of a window to project from: a burst in the first second
/// says nothing about the rest of a day.
const MIN_ELAPSED: time::Duration = time::Duration::seconds(1);

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Projection {
    /// When the limit is reached at the current rate (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    pub runs_out_at: OffsetDateTime,
    /// When the window resets.
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    pub resets_at: OffsetDateTime,
    /// The basis: how much of the window had passed, 0–1 …
    pub elapsed_share: f64,
    /// … and the rate so far, per minute.
    pub per_minute: f64,
}

/// The projection for `value` of `limit` in the window starting at
/// `start`, seen at `now`; `None` when the limit is not reached before the
/// reset at this rate, is already passed (that is "over", not a
/// projection), or too little of the window has passed to say.
pub fn project(
    value: i64,
    limit: u64,
    window: Window,
    start: OffsetDateTime,
    now: OffsetDateTime,
) -> Option<Projection> {
    let elapsed = now - start;
    let length = window.length();
    if value <= 0
        || i128::from(value) > i128::from(limit)
        || elapsed < MIN_ELAPSED
        || elapsed >= length
    {
        return None;
    }
    // Whether it runs out before the reset, decided in integers
    // (microseconds, as PostgreSQL keeps time): `limit × elapsed < value ×
    // length`, the comparison the SQL makes, so both pick the same
    // workspaces at the edge. The time itself is only shown.
    if i128::from(limit) * elapsed.whole_microseconds()
        >= i128::from(value) * length.whole_microseconds()
    {
        return None;
    }
    let elapsed_s = elapsed.as_seconds_f64();
    let to_limit_s = elapsed_s * limit as f64 / value as f64;
    let resets_at = start + length;
    Some(Projection {
        runs_out_at: (start + time::Duration::seconds_f64(to_limit_s)).min(resets_at),
        resets_at,
        elapsed_share: elapsed_s / length.as_seconds_f64(),
        per_minute: value as f64 * 60.0 / elapsed_s,
    })
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    const START: OffsetDateTime = datetime!(2026-11-23 00:00:00 UTC);

    #[test]
    fn at_a_quarter_of_the_day_and_half_the_limit_it_runs_out_at_noon() {
        let p = project(
            500,
            1_000,
            Window::Day,
            START,
            datetime!(2026-11-23 06:00:00 UTC),
        )
        .expect("runs out");
        assert_eq!(p.runs_out_at, datetime!(2026-11-23 12:00:00 UTC));
        assert_eq!(p.resets_at, datetime!(2026-11-24 00:00:00 UTC));
        assert!((p.elapsed_share - 0.25).abs() < 1e-9);
        assert!((p.per_minute - 500.0 / 360.0).abs() < 1e-9);
    }

    #[test]
    fn no_projection_when_it_lasts_is_over_or_too_early() {
        let six = datetime!(2026-11-23 06:00:00 UTC);
        assert_eq!(
            project(200, 1_000, Window::Day, START, six),
            None,
            "lasts the day"
        );
        assert_eq!(
            project(1_001, 1_000, Window::Day, START, six),
            None,
            "already over"
        );
        assert_eq!(project(0, 1_000, Window::Day, START, six), None);
        assert_eq!(
            project(
                5,
                10,
                Window::Minute,
                START,
                START + time::Duration::milliseconds(500)
            ),
            None,
            "half a second of a window"
        );
        assert_eq!(
            project(
                5,
                10,
                Window::Minute,
                START,
                START + time::Duration::minutes(2)
            ),
            None,
            "the window has reset"
        );
    }

    #[test]
    fn at_the_limit_it_runs_out_now() {
        let now = START + time::Duration::seconds(30);
        let p = project(10, 10, Window::Minute, START, now).expect("at the limit");
        assert_eq!(p.runs_out_at, now);
    }

    #[test]
    fn running_out_exactly_at_the_reset_is_not_running_out() {
        // Half the limit at half the minute: it reaches the limit as the
        // window resets, not before; a microsecond earlier, it would.
        let half = START + time::Duration::seconds(30);
        assert_eq!(project(5, 10, Window::Minute, START, half), None);
        let p = project(
            5,
            10,
            Window::Minute,
            START,
            half - time::Duration::microseconds(1),
        )
        .expect("just before");
        assert!(p.runs_out_at <= p.resets_at);
    }
}
