//! Numbers and text for people, one way everywhere: the scorecard, the
//! CLI's tables and Markdown, and the explanations checks write.

/// A number without a useless fraction: `5`, `2.5`, `1500`.
pub fn num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:.1}")
    }
}

/// A count with thousands grouped, as PRODUCT.md's plan table writes
/// them: `1,000`, `-20,000`, `7`.
pub fn count(v: impl Into<i128>) -> String {
    let v: i128 = v.into();
    let digits = v.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if v < 0 {
        out.push('-');
    }
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// Rounded to one decimal, as scores, coverage and deltas are kept.
pub fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// Text from production (a dependency name, a header, a driver's error)
/// made safe to print: whitespace controls become spaces, and every other
/// control character (terminal escapes among them) and the bidirectional
/// overrides that reorder what a reader sees become U+FFFD.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' => ' ',
            c if c.is_control() => '\u{FFFD}',
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' => {
                '\u{FFFD}'
            }
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_group_thousands() {
        assert_eq!(count(7), "7");
        assert_eq!(count(1_000), "1,000");
        assert_eq!(count(-20_000i64), "-20,000");
        assert_eq!(count(20_000_000u64), "20,000,000");
        assert_eq!(count(100), "100");
    }

    #[test]
    fn whole_numbers_lose_their_fraction_and_others_keep_one_digit() {
        assert_eq!(num(5.0), "5");
        assert_eq!(num(2.5), "2.5");
        assert_eq!(num(-3.0), "-3");
        assert_eq!(num(0.25), "0.2");
        assert_eq!(round1(72.46), 72.5);
        assert_eq!(round1(-0.04), -0.0);
    }

    #[test]
    fn terminal_escapes_and_bidi_overrides_are_not_printed() {
        assert_eq!(printable("\u{1b}]0;x\u{7}down"), "\u{FFFD}]0;x\u{FFFD}down");
        assert_eq!(printable("a\nb\tc"), "a b c");
        assert_eq!(printable("\u{9b}31m"), "\u{FFFD}31m", "the C1 escape too");
        assert_eq!(printable("abc\u{202E}fed"), "abc\u{FFFD}fed");
        assert_eq!(printable("naïve — ok"), "naïve — ok");
    }
}
