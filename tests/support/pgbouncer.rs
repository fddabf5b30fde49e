//! A real PgBouncer of the test's own (TESTING.md): a generated
//! `pgbouncer.ini` and userlist in a temp dir, on a free loopback port, in
//! front of one of the test's databases on the machine's PostgreSQL, in
//! transaction mode with a small pool so tests can drive it past its size.
//! It can be restarted on the same port (its counters start again at 0),
//! and is stopped when dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The admin and stats accounts and the app's, with their passwords.
pub const ADMIN: (&str, &str) = ("pgb_admin", "admin-pw-7f3a");
pub const STATS: (&str, &str) = ("pgb_stats", "stats-pw-91c2");
pub const APP: (&str, &str) = ("app", "app-pw-44d0");

pub struct PgBouncer {
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

/// Where Debian puts the binary.
fn binary() -> Option<PathBuf> {
    ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

impl PgBouncer {
    /// Starts one in front of `database` (a database on the local server,
    /// reached as `postgres` over loopback) with `pool_size` server
    /// connections. `Err` says why it cannot run here.
    pub fn start(database: &str, pool_size: u32) -> Result<PgBouncer, String> {
        let bin = binary().ok_or(
            "pgbouncer is not installed (the README's test command installs it: apt-get install pgbouncer)",
        )?;
        let dir =
            std::env::temp_dir().join(format!("readyroom-pgb-{:016x}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let port = crate::targets::closed_port();
        let userlist: String = [ADMIN, STATS, APP]
            .iter()
            .map(|(u, p)| format!("\"{u}\" \"{p}\"\n"))
            .collect();
        std::fs::write(dir.join("userlist.txt"), userlist).map_err(|e| e.to_string())?;
        let ini = format!(
            "[databases]\n\
             app = host=127.0.0.1 port=5432 dbname={database} user=postgres\n\
             [pgbouncer]\n\
             listen_addr = 127.0.0.1\n\
             listen_port = {port}\n\
             unix_socket_dir =\n\
             auth_type = scram-sha-256\n\
             auth_file = {dir}/userlist.txt\n\
             admin_users = {admin}\n\
             stats_users = {stats}\n\
             pool_mode = transaction\n\
             default_pool_size = {pool_size}\n\
             reserve_pool_size = 0\n\
             max_client_conn = 400\n\
             ignore_startup_parameters = extra_float_digits\n\
             logfile = {dir}/pgbouncer.log\n\
             pidfile = {dir}/pgbouncer.pid\n",
            dir = dir.display(),
            admin = ADMIN.0,
            stats = STATS.0,
        );
        std::fs::write(dir.join("pgbouncer.ini"), ini).map_err(|e| e.to_string())?;
        let mut bouncer = PgBouncer {
            port,
            dir,
            child: None,
        };
        bouncer.spawn(&bin)?;
        Ok(bouncer)
    }

    /// PgBouncer will not run as root: as root, it switches to `postgres`
    /// (its own `-u`).
    fn spawn(&mut self, bin: &Path) -> Result<(), String> {
        let root = Command::new("id")
            .arg("-u")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
            .unwrap_or(false);
        let mut cmd = if root {
            let chown = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&self.dir)
                .status()
                .map_err(|e| e.to_string())?;
            if !chown.success() {
                return Err("cannot chown the PgBouncer folder to postgres".into());
            }
            let mut c = Command::new(bin);
            c.args(["-u", "postgres"]);
            c
        } else {
            Command::new(bin)
        };
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
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(format!(
            "pgbouncer did not listen on {} within 5 s; its log: {}",
            self.port,
            std::fs::read_to_string(self.dir.join("pgbouncer.log")).unwrap_or_default()
        ))
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

    /// The admin console URL for `user`.
    pub fn console_url(&self, (user, password): (&str, &str)) -> String {
        format!(
            "postgres://{user}:{password}@127.0.0.1:{}/pgbouncer",
            self.port
        )
    }

    /// The app's URL through the pooler.
    pub fn app_url(&self) -> String {
        format!("postgres://{}:{}@127.0.0.1:{}/app", APP.0, APP.1, self.port)
    }
}

impl Drop for PgBouncer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
