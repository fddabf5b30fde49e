//! A PgBouncer of our own in front of a PostgreSQL server: a generated
//! `pgbouncer.ini` and userlist in a private folder, on a free loopback
//! port. The demo puts one in front of its `--postgres` database (so the
//! Pools view has a real pooler to read), and the tests drive one past its
//! pool size, restart it and stop it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// How server connections are shared. sqlx prepares statements by name,
/// which PgBouncer 1.18 supports only in session mode: the demo's app uses
/// session mode; the tests use transaction mode with plain queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolMode {
    Session,
    Transaction,
}

/// What to start.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The server behind it, `postgres://USER[:PASSWORD]@HOST[:PORT]/DB`:
    /// every client's server connection logs in as that user.
    pub upstream: String,
    /// The database name clients connect to.
    pub database: String,
    pub pool_mode: PoolMode,
    /// Server connections per database and user.
    pub pool_size: u32,
    /// The accounts clients log in with, `(user, password)`.
    pub accounts: Vec<(String, String)>,
    /// Accounts allowed every console command.
    pub admin_users: Vec<String>,
    /// Accounts allowed the console's read-only `SHOW` commands.
    pub stats_users: Vec<String>,
}

/// A running PgBouncer; stopped and its folder removed when dropped.
pub struct PgBouncer {
    pub port: u16,
    database: String,
    dir: PathBuf,
    child: Option<Child>,
}

/// Where Debian puts the binary, if it is installed.
pub fn binary() -> Option<PathBuf> {
    ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// The server's address, database and user (and password) from its URL.
struct Upstream {
    host: String,
    port: u16,
    dbname: String,
    user: String,
    password: Option<String>,
}

fn upstream(url: &str) -> Result<Upstream, String> {
    // The error names the part, never the URL (it may hold a password).
    let parsed =
        url::Url::parse(url).map_err(|e| format!("the PostgreSQL URL does not parse ({e})"))?;
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    let user = match decode(parsed.username()) {
        u if u.is_empty() => "postgres".to_string(),
        u => u,
    };
    let up = Upstream {
        host: parsed.host_str().unwrap_or("localhost").to_string(),
        port: parsed.port().unwrap_or(5432),
        dbname: match parsed.path().trim_start_matches('/') {
            "" => user.clone(),
            db => decode(db),
        },
        password: parsed.password().map(decode),
        user,
    };
    // A connstring value stops at whitespace; quoting rules differ between
    // PgBouncer versions, so refuse what would need them.
    for (what, value) in [
        ("host", &up.host),
        ("database", &up.dbname),
        ("user", &up.user),
    ] {
        if value.is_empty() || value.contains(|c: char| c.is_whitespace() || c == '\'' || c == '"')
        {
            return Err(format!(
                "the PostgreSQL URL's {what} is empty or holds spaces or quotes, which a PgBouncer connstring cannot carry"
            ));
        }
    }
    Ok(up)
}

/// A userlist line: both fields double-quoted, quotes doubled.
fn userlist_line(user: &str, password: &str) -> String {
    format!(
        "\"{}\" \"{}\"\n",
        user.replace('"', "\"\""),
        password.replace('"', "\"\"")
    )
}

fn free_loopback_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free loopback port: {e}"))
}

/// Writes a file only its owner can read: it holds passwords.
fn write_private(path: &Path, text: &str) -> Result<(), String> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

impl PgBouncer {
    /// Starts one in a new folder under `parent`. `Err` says why it cannot.
    pub fn start(settings: &Settings, parent: &Path) -> Result<PgBouncer, String> {
        let bin = binary().ok_or("pgbouncer is not installed (apt-get install pgbouncer)")?;
        let up = upstream(&settings.upstream)?;
        let dir = parent.join(format!("pgbouncer-{:016x}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let mut bouncer = PgBouncer {
            port: free_loopback_port()?,
            database: settings.database.clone(),
            dir,
            child: None,
        };
        let mut userlist: String = settings
            .accounts
            .iter()
            .map(|(u, p)| userlist_line(u, p))
            .collect();
        // The server login's password, where the server wants one.
        if let Some(password) = &up.password {
            if !settings.accounts.iter().any(|(u, _)| *u == up.user) {
                userlist.push_str(&userlist_line(&up.user, password));
            }
        }
        write_private(&bouncer.dir.join("userlist.txt"), &userlist)?;
        let ini = format!(
            "[databases]\n\
             {alias} = host={host} port={port} dbname={dbname} user={user}\n\
             [pgbouncer]\n\
             listen_addr = 127.0.0.1\n\
             listen_port = {listen}\n\
             unix_socket_dir =\n\
             auth_type = scram-sha-256\n\
             auth_file = {dir}/userlist.txt\n\
             admin_users = {admins}\n\
             stats_users = {stats}\n\
             pool_mode = {mode}\n\
             default_pool_size = {size}\n\
             reserve_pool_size = 0\n\
             max_client_conn = 400\n\
             ignore_startup_parameters = extra_float_digits\n\
             logfile = {dir}/pgbouncer.log\n\
             pidfile = {dir}/pgbouncer.pid\n",
            alias = settings.database,
            host = up.host,
            port = up.port,
            dbname = up.dbname,
            user = up.user,
            listen = bouncer.port,
            dir = bouncer.dir.display(),
            admins = settings.admin_users.join(","),
            stats = settings.stats_users.join(","),
            mode = match settings.pool_mode {
                PoolMode::Session => "session",
                PoolMode::Transaction => "transaction",
            },
            size = settings.pool_size,
        );
        write_private(&bouncer.dir.join("pgbouncer.ini"), &ini)?;
        bouncer.spawn(&bin)?;
        Ok(bouncer)
    }

    /// PgBouncer will not run as root: as root, it runs as `postgres` (its
    /// own `-u`), which then owns the folder.
    fn spawn(&mut self, bin: &Path) -> Result<(), String> {
        let root = Command::new("id")
            .arg("-u")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
            .unwrap_or(false);
        let mut cmd = Command::new(bin);
        if root {
            let chown = Command::new("chown")
                .args(["-R", "postgres"])
                .arg(&self.dir)
                .status()
                .map_err(|e| format!("cannot run chown: {e}"))?;
            if !chown.success() {
                return Err("running as root, and the PgBouncer folder cannot be given to the postgres user PgBouncer would run as".into());
            }
            cmd.args(["-u", "postgres"]);
        }
        let child = cmd
            .arg(self.dir.join("pgbouncer.ini"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start pgbouncer: {e}"))?;
        self.child = Some(child);
        // Up when its port accepts connections.
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return Ok(());
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                return Err(format!(
                    "pgbouncer exited ({status}); its log: {}",
                    self.log()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(format!(
            "pgbouncer did not listen on {} within 5 s; its log: {}",
            self.port,
            self.log()
        ))
    }

    /// Its log so far (no passwords: PgBouncer logs users, not secrets).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("pgbouncer.log")).unwrap_or_default()
    }

    /// Stops it (every client is cut off) and starts it again on the same
    /// port: a pooler restart, with its counters back at 0.
    pub fn restart(&mut self) -> Result<(), String> {
        self.stop();
        let bin = binary().ok_or("pgbouncer vanished")?;
        // The port is free once the old process has exited.
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.spawn(&bin)
    }

    /// Stops it; it refuses connections until started again.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SIGINT: a safe shutdown, as an operator's restart does.
            let _ = Command::new("kill")
                .args(["-INT", &child.id().to_string()])
                .status();
            for _ in 0..100 {
                if matches!(child.try_wait(), Ok(Some(_))) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The admin console's URL for an account.
    pub fn console_url(&self, (user, password): (&str, &str)) -> String {
        self.url(user, password, "pgbouncer")
    }

    /// The pooled database's URL for an account.
    pub fn database_url(&self, (user, password): (&str, &str)) -> String {
        self.url(user, password, &self.database)
    }

    fn url(&self, user: &str, password: &str, database: &str) -> String {
        let mut url = url::Url::parse("postgres://127.0.0.1").expect("a fixed URL parses");
        let _ = url.set_port(Some(self.port));
        let _ = url.set_username(user);
        let _ = url.set_password(Some(password));
        url.set_path(database);
        url.to_string()
    }
}

/// The demo's pooler and the two URLs that reach it.
pub struct DemoPooler {
    pub bouncer: PgBouncer,
    /// The demo app's database, through the pooler.
    pub app_url: String,
    /// The console, as a `stats_users` account (least privilege).
    pub console_url: String,
}

/// A PgBouncer in front of the demo's `--postgres` database, in a folder
/// under `dir`: session mode (sqlx names its prepared statements), as
/// many server connections as the app's pool has, accounts with fresh
/// random passwords for the app and for Readyroom's console reads.
pub fn for_demo(upstream: &str, dir: &Path) -> Result<DemoPooler, String> {
    let password = || format!("{:032x}", rand::random::<u128>());
    let app = ("demo_app".to_string(), password());
    let stats = ("readyroom_stats".to_string(), password());
    let settings = Settings {
        upstream: upstream.to_string(),
        database: "demo".into(),
        pool_mode: PoolMode::Session,
        pool_size: crate::db::POOL_SIZE,
        accounts: vec![app.clone(), stats.clone()],
        admin_users: Vec::new(),
        stats_users: vec![stats.0.clone()],
    };
    let bouncer = PgBouncer::start(&settings, dir)?;
    Ok(DemoPooler {
        app_url: bouncer.database_url((&app.0, &app.1)),
        console_url: bouncer.console_url((&stats.0, &stats.1)),
        bouncer,
    })
}

impl Drop for PgBouncer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_upstream_url_gives_the_connstring_parts_and_no_error_repeats_it() {
        let up = upstream("postgres://app%40x:p%2Fw@db.internal:6543/sales").expect("parses");
        assert_eq!(
            (
                up.host.as_str(),
                up.port,
                up.dbname.as_str(),
                up.user.as_str()
            ),
            ("db.internal", 6543, "sales", "app@x")
        );
        assert_eq!(up.password.as_deref(), Some("p/w"));
        let bare = upstream("postgres://127.0.0.1").expect("parses");
        assert_eq!(
            (bare.user.as_str(), bare.dbname.as_str(), bare.port),
            ("postgres", "postgres", 5432)
        );
        // (Upstream has no Debug: it holds a password.)
        let Err(err) = upstream("postgres://u:secret-pw@h/my%20db") else {
            panic!("a database name with a space was accepted")
        };
        assert!(
            err.contains("database") && !err.contains("secret-pw"),
            "{err}"
        );
    }

    #[test]
    fn userlist_lines_double_their_quotes() {
        assert_eq!(userlist_line("a\"b", "p\"w"), "\"a\"\"b\" \"p\"\"w\"\n");
    }
}
