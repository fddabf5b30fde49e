//! Scrubbing secrets out of text that came from elsewhere (driver errors,
//! server responses) before it is shown to anyone.

/// Replaces every occurrence of each secret, and of the password part of any
/// URL-shaped secret, with `<redacted>`. Secrets shorter than 4 characters
/// are only scrubbed as whole URL passwords, so that redaction cannot shred
/// ordinary words.
pub fn redact(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_string();
    let mut needles: Vec<String> = Vec::new();
    for secret in secrets {
        if secret.len() >= 4 {
            needles.push(secret.to_string());
        }
        if let Some(password) = url_password(secret) {
            needles.push(password.clone());
            // Drivers sometimes print the percent-decoded form.
            if let Ok(decoded) = percent_decode(&password) {
                needles.push(decoded);
            }
        }
    }
    // Longest first, so a URL is replaced whole before its password.
    needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
    needles.dedup();
    for needle in needles.iter().filter(|n| !n.is_empty()) {
        out = out.replace(needle.as_str(), "<redacted>");
    }
    out
}

fn url_password(s: &str) -> Option<String> {
    let parsed = url::Url::parse(s).ok()?;
    parsed.password().map(str::to_string)
}

fn percent_decode(s: &str) -> Result<String, std::str::Utf8Error> {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .map(|c| c.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubs_whole_secret_and_url_password() {
        let url = "postgres://app:s3cr%21t@db.internal:5432/app";
        let msg = format!("error connecting to {url}: password s3cr!t rejected (s3cr%21t)");
        let out = redact(&msg, &[url]);
        assert!(!out.contains("s3cr"), "{out}");
        assert!(out.contains("<redacted>"));
    }

    #[test]
    fn short_secrets_do_not_shred_text() {
        assert_eq!(redact("a b c", &["a"]), "a b c");
    }
}
