//! Numbers for people, one way everywhere: the scorecard, the CLI's tables
//! and Markdown, and the explanations checks write.

/// A number without a useless fraction: `5`, `2.5`, `1500`.
pub fn num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:.1}")
    }
}

/// Rounded to one decimal, as scores, coverage and deltas are kept.
pub fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_lose_their_fraction_and_others_keep_one_digit() {
        assert_eq!(num(5.0), "5");
        assert_eq!(num(2.5), "2.5");
        assert_eq!(num(-3.0), "-3");
        assert_eq!(num(0.25), "0.2");
        assert_eq!(round1(72.46), 72.5);
        assert_eq!(round1(-0.04), -0.0);
    }
}
