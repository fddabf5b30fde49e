//! How a PostgreSQL connection is secured, decided before anything is sent.
//!
//! libpq (and sqlx) default to `sslmode=prefer`: a machine in the middle
//! answers "no TLS", asks for a cleartext password, and gets the production
//! password. Readyroom instead verifies the server (`verify-full`, with the
//! environment's `ca_file` as an extra root) for every host that is not
//! this machine. An `sslmode` written in the stored URL is the operator's
//! explicit choice and wins; `config check` warns when it is weaker than
//! `verify-full` for a remote host.

use std::net::IpAddr;
use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgSslMode};
use url::Url;

use crate::trust::ExtraRoots;

/// What was decided for one connection.
#[derive(Debug, Clone, Copy)]
pub struct TlsChoice {
    pub mode: PgSslMode,
    /// The stored URL named the mode itself.
    pub explicit: bool,
    /// The host is not this machine.
    pub remote: bool,
}

impl TlsChoice {
    /// The certificate and the host name are both checked.
    pub fn verifies_host(&self) -> bool {
        matches!(self.mode, PgSslMode::VerifyFull)
    }

    /// A remote connection that will not verify the server.
    pub fn is_weak(&self) -> bool {
        self.remote && !self.verifies_host()
    }
}

/// The connection options of a stored URL, with the TLS mode Readyroom
/// uses. `None` when the URL does not parse (the caller says so without
/// quoting it).
pub fn connect_options(url: &str, roots: &ExtraRoots) -> Option<(PgConnectOptions, TlsChoice)> {
    let mut options = PgConnectOptions::from_str(url).ok()?;
    let remote = !is_this_machine(&options);
    let explicit = explicit_ssl_mode(url);
    let mode = match explicit {
        Some(mode) => mode,
        None if remote => PgSslMode::VerifyFull,
        // This machine: what the URL parsing chose (libpq's `prefer`).
        None => options.get_ssl_mode(),
    };
    options = options.ssl_mode(mode);
    if !roots.pem.is_empty() && !names_root_cert(url) {
        options = options.ssl_root_cert_from_pem(roots.pem.clone());
    }
    Some((
        options,
        TlsChoice {
            mode,
            explicit: explicit.is_some(),
            remote,
        },
    ))
}

/// A warning for a stored URL that lets a remote connection go unverified,
/// or `None` when it is verified (or not remote, or not parseable).
pub fn weakness(url: &str) -> Option<String> {
    let (options, choice) = connect_options(url, &ExtraRoots::default())?;
    choice.is_weak().then(|| {
        format!(
            "the stored URL sets sslmode={} for remote host {}: the server is not verified, so a machine in the middle could read the password; remove sslmode (Readyroom then uses verify-full) or set sslmode=verify-full",
            mode_name(choice.mode),
            options.get_host()
        )
    })
}

pub fn mode_name(mode: PgSslMode) -> &'static str {
    match mode {
        PgSslMode::Disable => "disable",
        PgSslMode::Allow => "allow",
        PgSslMode::Prefer => "prefer",
        PgSslMode::Require => "require",
        PgSslMode::VerifyCa => "verify-ca",
        PgSslMode::VerifyFull => "verify-full",
    }
}

/// A Unix socket, `localhost`, `127.0.0.0/8` or `::1`.
fn is_this_machine(options: &PgConnectOptions) -> bool {
    if options.get_socket().is_some() {
        return true;
    }
    let host = options.get_host();
    if host.starts_with('/') || host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    IpAddr::from_str(literal).is_ok_and(|ip| ip.is_loopback())
}

/// The `sslmode` query parameter of the URL, as sqlx spells it.
fn explicit_ssl_mode(url: &str) -> Option<PgSslMode> {
    query_value(url, &["sslmode", "ssl-mode"]).and_then(|v| PgSslMode::from_str(&v).ok())
}

fn names_root_cert(url: &str) -> bool {
    query_value(url, &["sslrootcert", "ssl-root-cert", "ssl-ca"]).is_some()
}

fn query_value(url: &str, keys: &[&str]) -> Option<String> {
    let parsed = Url::parse(url).ok()?;
    let found = parsed
        .query_pairs()
        .find(|(k, _)| keys.contains(&k.as_ref()))
        .map(|(_, v)| v.into_owned());
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice(url: &str) -> TlsChoice {
        connect_options(url, &ExtraRoots::default())
            .expect("parses")
            .1
    }

    #[test]
    fn remote_hosts_are_verified_by_default() {
        for url in [
            "postgres://u:p@db.example.com/app",
            "postgres://u:p@10.0.0.5:5432/app",
            "postgres://u:p@[2001:db8::1]:5432/app",
            "postgres://u:p@0.0.0.0:5432/app",
        ] {
            let c = choice(url);
            assert!(c.verifies_host(), "{url}");
            assert!(c.remote && !c.explicit && !c.is_weak(), "{url}");
        }
    }

    #[test]
    fn this_machine_keeps_the_default() {
        for url in [
            "postgres://u:p@localhost/app",
            "postgres://u:p@127.0.0.1:5432/app",
            "postgres://u:p@127.9.8.7/app",
            "postgres://u:p@[::1]:5432/app",
            "postgres://u:p@localhost/app?host=/var/run/postgresql",
        ] {
            let c = choice(url);
            assert!(!c.remote, "{url}");
            assert!(matches!(c.mode, PgSslMode::Prefer), "{url}");
        }
    }

    #[test]
    fn an_explicit_mode_wins_and_weak_ones_are_named() {
        let c = choice("postgres://u:p@db.example.com/app?sslmode=require");
        assert!(matches!(c.mode, PgSslMode::Require));
        assert!(c.explicit && c.is_weak());
        let warning = weakness("postgres://u:secretpw@db.example.com/app?sslmode=disable")
            .expect("a warning");
        assert!(warning.contains("sslmode=disable") && warning.contains("db.example.com"));
        assert!(!warning.contains("secretpw"), "{warning}");
        assert_eq!(
            weakness("postgres://u:p@db.example.com/app?sslmode=verify-full"),
            None
        );
        assert_eq!(weakness("postgres://u:p@db.example.com/app"), None);
        assert_eq!(
            weakness("postgres://u:p@localhost/app?sslmode=disable"),
            None
        );
    }
}
