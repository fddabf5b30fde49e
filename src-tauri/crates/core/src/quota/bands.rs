//! Near and over a limit, in integers (no rounding at the edges): near is
//! `value * 5 >= limit * 4` (80 %) up to the limit itself, over is past it.
//! Nothing used is never near, even a limit of 0. The PostgreSQL source
//! computes the same comparisons in SQL.

use serde::Serialize;
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum Band {
    Under,
    /// 80 % of the limit up to the limit itself.
    Near,
    /// Past the limit.
    Over,
}

/// Where `value` stands against `limit`.
pub fn band(value: i64, limit: u64) -> Band {
    let (value, limit) = (i128::from(value), i128::from(limit));
    if value > limit {
        Band::Over
    } else if value * 5 >= limit * 4 && value > 0 {
        Band::Near
    } else {
        Band::Under
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_edges_are_exact() {
        assert_eq!(band(8, 10), Band::Near, "exactly 80 %");
        assert_eq!(band(7, 10), Band::Under);
        assert_eq!(band(10, 10), Band::Near, "exactly at the limit");
        assert_eq!(band(11, 10), Band::Over);
        // 80 % of 7 is 5.6: 6 is near, 5 is not.
        assert_eq!(band(6, 7), Band::Near);
        assert_eq!(band(5, 7), Band::Under);
        assert_eq!(band(i64::MAX, u64::MAX), Band::Under, "no overflow");
        assert_eq!(band(i64::MAX, 1), Band::Over, "no overflow");
    }

    #[test]
    fn nothing_used_is_under_even_a_zero_limit() {
        assert_eq!(band(0, 0), Band::Under);
        assert_eq!(band(1, 0), Band::Over);
        assert_eq!(band(-3, 10), Band::Under);
    }
}
