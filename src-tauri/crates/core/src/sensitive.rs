//! A wrapper for values that must never be printed: passwords, tokens,
//! connection URLs with credentials.

use std::fmt;

/// Holds a secret. `Debug` and `Display` print `<redacted>`; the only way to
/// the value is [`Sensitive::expose`], which makes every use greppable.
/// It deliberately implements neither `Serialize` nor `Deserialize`, so a
/// secret cannot end up in JSON by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Sensitive<T>(T);

impl<T> Sensitive<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The secret itself. Call only where the value is handed to the system
    /// that needs it (a database driver, an HTTP header), never to format it.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<T> fmt::Display for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let s = Sensitive::new("postgres://u:hunter2@db/app".to_string());
        assert_eq!(format!("{s:?}"), "<redacted>");
        assert_eq!(format!("{s}"), "<redacted>");
        assert_eq!(format!("{:?}", Some(&s)), "Some(<redacted>)");
        assert_eq!(s.expose(), "postgres://u:hunter2@db/app");
    }
}
