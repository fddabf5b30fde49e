//! Real PostgreSQL for tests: a fresh database per test on the machine's
//! server, and a private password-protected cluster for auth failures.

use std::path::PathBuf;
use std::process::Command;

use sqlx::{Connection, PgConnection};

/// The server tests create their databases on. `READYROOM_TEST_PG_ADMIN_URL`
/// overrides it (the test script sets it where the server needs a password).
pub fn admin_url() -> String {
    std::env::var("READYROOM_TEST_PG_ADMIN_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// Fails the test with a clear message when no server answers.
async fn admin() -> PgConnection {
    match PgConnection::connect(&admin_url()).await {
        Ok(c) => c,
        Err(e) => panic!(
            "PostgreSQL is not reachable for tests ({e}). The README's test command starts it; by hand: \
             pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
        ),
    }
}

/// A database of one test's own, dropped when the value is dropped, so runs
/// never see each other's rows and leave nothing behind.
pub struct TestDatabase {
    pub url: String,
    name: String,
}

/// A new, empty database.
pub async fn fresh_database() -> TestDatabase {
    let name = format!("readyroom_test_{:016x}", rand::random::<u64>());
    let mut conn = admin().await;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create database");
    let _ = conn.close().await;
    let mut url = url::Url::parse(&admin_url()).expect("admin URL parses");
    url.set_path(&name);
    TestDatabase {
        url: url.to_string(),
        name,
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Drop runs inside the test's runtime; a thread of its own may block.
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let mut conn = PgConnection::connect(&admin_url()).await.ok()?;
                sqlx::query(&sql).execute(&mut conn).await.ok()?;
                conn.close().await.ok()
            })
        })
        .join();
    }
}

/// A PostgreSQL cluster of the test's own, requiring a password (SCRAM),
/// on a free loopback port. Stopped and removed when dropped.
pub struct PrivateCluster {
    pub port: u16,
    pub password: String,
    dir: PathBuf,
    bin: PathBuf,
}

impl PrivateCluster {
    /// `None` (with the reason printed) where a cluster cannot be made
    /// here: no PostgreSQL server binaries, or not root (initdb must run
    /// as the `postgres` user).
    pub fn start() -> Result<PrivateCluster, String> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .map_err(|e| format!("no /usr/lib/postgresql: {e}"))?
            .filter_map(|e| e.ok())
            .map(|e| e.path().join("bin"))
            .find(|p| p.join("initdb").exists())
            .ok_or("no initdb under /usr/lib/postgresql")?;
        let dir = std::env::temp_dir().join(format!("readyroom-pg-{:016x}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let password = format!("pw-{:016x}", rand::random::<u64>());
        std::fs::write(dir.join("pw"), &password).map_err(|e| e.to_string())?;
        let chown = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(&dir)
            .status()
            .map_err(|e| e.to_string())?;
        if !chown.success() {
            return Err("cannot chown the cluster folder to postgres (not root?)".into());
        }
        let data = dir.join("data");
        let as_postgres = |program: &str| {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(bin.join(program));
            c
        };
        let out = as_postgres("initdb")
            .arg("-D")
            .arg(&data)
            .args(["-A", "scram-sha-256", "-U", "admin", "--no-sync"])
            .arg(format!("--pwfile={}", dir.join("pw").display()))
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(format!(
                "initdb failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let port = crate::targets::closed_port();
        let opts = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c max_connections=20 -c fsync=off",
            dir.display()
        );
        let out = as_postgres("pg_ctl")
            .arg("-D")
            .arg(&data)
            .args(["-o", &opts, "-w", "-t", "30", "-l"])
            .arg(dir.join("log"))
            .arg("start")
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(format!(
                "pg_ctl start failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(PrivateCluster {
            port,
            password,
            dir,
            bin,
        })
    }

    pub fn url(&self, password: &str) -> String {
        format!(
            "postgres://admin:{password}@127.0.0.1:{}/postgres",
            self.port
        )
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let _ = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "immediate", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
