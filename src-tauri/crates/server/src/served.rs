//! The addresses this server is actually reached at, for the Host and
//! Origin guards and the URL printed for the operator.
//!
//! A listener on `0.0.0.0` or `[::]` is reached at each interface's own
//! address, never at `0.0.0.0` itself: a page that sends `Host: 0.0.0.0:port`
//! is a DNS-rebinding script, not the operator.

use std::net::{IpAddr, SocketAddr};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

impl Scheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Served {
    scheme: Scheme,
    port: u16,
    /// Lower-case host names and IP literals (IPv6 in brackets), no port.
    hosts: Vec<String>,
}

impl Served {
    /// What a listener on `addr` serves. `tls_names` are the DNS names and
    /// IP addresses the certificate is valid for (empty without TLS).
    pub fn new(addr: SocketAddr, scheme: Scheme, tls_names: &[String]) -> Served {
        let mut ips: Vec<IpAddr> = Vec::new();
        let ip = addr.ip();
        if ip.is_unspecified() {
            // `[::]` is dual-stack on the platforms Readyroom runs on.
            let want_v6 = ip.is_ipv6();
            ips.extend(
                interface_addresses()
                    .into_iter()
                    .filter(|a| a.is_ipv4() || want_v6),
            );
            ips.extend(loopback());
        } else {
            ips.push(ip);
            if ip.is_loopback() {
                ips.extend(loopback());
            }
        }
        let mut hosts: Vec<String> = Vec::new();
        let mut add = |host: String| {
            if !hosts.contains(&host) {
                hosts.push(host);
            }
        };
        ips.iter().for_each(|ip| add(host_literal(*ip)));
        if ips.iter().any(IpAddr::is_loopback) {
            add("localhost".into());
        }
        for name in tls_names {
            match name.parse::<IpAddr>() {
                // A certificate's IP is served only when the listener covers it.
                Ok(ip) if ips.contains(&ip) => add(host_literal(ip)),
                Ok(_) => {}
                Err(_) => add(name.to_ascii_lowercase()),
            }
        }
        Served {
            scheme,
            port: addr.port(),
            hosts,
        }
    }

    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// Whether a Host header (`name:port`, or `name` on the default port)
    /// names this server.
    pub fn is_own_authority(&self, authority: &str) -> bool {
        let authority = authority.to_ascii_lowercase();
        let (host, port) = split_authority(&authority);
        let port = match port {
            Some(p) => p.parse::<u16>().ok(),
            None => Some(self.scheme.default_port()),
        };
        port == Some(self.port) && self.hosts.iter().any(|h| h == host)
    }

    /// Whether an Origin header is this server's own: same scheme, host
    /// and port.
    pub fn is_own_origin(&self, origin: &str) -> bool {
        origin
            .strip_prefix(self.scheme.as_str())
            .and_then(|rest| rest.strip_prefix("://"))
            .is_some_and(|authority| self.is_own_authority(authority))
    }

    /// The URL to open, carrying the token in the fragment, which browsers
    /// never send to a server or in a Referer. Prefers a certificate's name
    /// (the one that verifies), then a non-loopback address, then loopback.
    pub fn open_url(&self, token: &str) -> String {
        let host = self
            .hosts
            .iter()
            .find(|h| !h.starts_with('[') && h.parse::<IpAddr>().is_err() && *h != "localhost")
            .or_else(|| self.hosts.iter().find(|h| !is_loopback_host(h)))
            .or_else(|| self.hosts.first())
            .map(String::as_str)
            .unwrap_or("127.0.0.1");
        format!(
            "{}://{host}:{}/#token={token}",
            self.scheme.as_str(),
            self.port
        )
    }
}

fn loopback() -> [IpAddr; 2] {
    [
        IpAddr::from([127, 0, 0, 1]),
        IpAddr::from(std::net::Ipv6Addr::LOCALHOST),
    ]
}

fn is_loopback_host(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn host_literal(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

/// `host:port`, `[v6]:port`, `host` or `[v6]`.
fn split_authority(authority: &str) -> (&str, Option<&str>) {
    if authority.starts_with('[') {
        return match authority.find(']') {
            Some(end) => {
                let (host, rest) = authority.split_at(end + 1);
                (host, rest.strip_prefix(':'))
            }
            None => (authority, None),
        };
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    }
}

/// This machine's interface addresses (link-local ones excluded: a browser
/// cannot use them without a zone). An error leaves loopback only, which
/// fails safe: the guard then refuses rather than accepts.
fn interface_addresses() -> Vec<IpAddr> {
    match if_addrs::get_if_addrs() {
        Ok(interfaces) => interfaces
            .into_iter()
            .map(|i| i.ip())
            .filter(|ip| !is_link_local(ip))
            .collect(),
        Err(e) => {
            tracing::warn!("cannot list this machine's addresses: {e}; answering to loopback only");
            Vec::new()
        }
    }
}

fn is_link_local(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_link_local(),
        IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) == 0xfe80,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn served(addr: &str, scheme: Scheme, names: &[&str]) -> Served {
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        Served::new(addr.parse().expect("addr"), scheme, &names)
    }

    #[test]
    fn loopback_answers_to_its_names_on_its_port_only() {
        let s = served("127.0.0.1:4000", Scheme::Http, &[]);
        for ok in [
            "127.0.0.1:4000",
            "localhost:4000",
            "LOCALHOST:4000",
            "[::1]:4000",
        ] {
            assert!(s.is_own_authority(ok), "{ok}");
        }
        for no in [
            "127.0.0.1:4001",
            "127.0.0.1",
            "evil.example:4000",
            "0.0.0.0:4000",
            "",
        ] {
            assert!(!s.is_own_authority(no), "{no}");
        }
        assert!(s.is_own_origin("http://localhost:4000"));
        assert!(!s.is_own_origin("https://localhost:4000"));
        assert!(!s.is_own_origin("http://localhost:4000.evil.example"));
    }

    #[test]
    fn an_unspecified_listener_never_answers_to_the_unspecified_address() {
        for addr in ["0.0.0.0:4000", "[::]:4000"] {
            let s = served(addr, Scheme::Http, &[]);
            assert!(!s.is_own_authority("0.0.0.0:4000"), "{addr}");
            assert!(!s.is_own_authority("[::]:4000"), "{addr}");
            assert!(s.is_own_authority("127.0.0.1:4000"), "{addr}");
        }
    }

    #[test]
    fn a_certificates_names_are_served_and_preferred_in_the_url() {
        let s = served(
            "0.0.0.0:8443",
            Scheme::Https,
            &["readyroom.ops.example", "192.0.2.77"],
        );
        assert!(s.is_own_authority("readyroom.ops.example:8443"));
        assert!(s.is_own_origin("https://readyroom.ops.example:8443"));
        // The listener does not cover 192.0.2.77 (not this machine's).
        assert!(!s.is_own_authority("192.0.2.77:8443"));
        assert_eq!(
            s.open_url("t"),
            "https://readyroom.ops.example:8443/#token=t"
        );
    }

    #[test]
    fn the_default_port_may_be_left_out() {
        let s = served("127.0.0.1:443", Scheme::Https, &["localhost"]);
        assert!(s.is_own_authority("localhost"));
        assert!(s.is_own_origin("https://localhost"));
        let s = served("127.0.0.1:4000", Scheme::Http, &[]);
        assert!(!s.is_own_authority("localhost"));
    }
}
