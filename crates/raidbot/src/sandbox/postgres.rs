//! Where the sandbox keeps its data: the server in `DATABASE_URL` when it answers, or a
//! private PostgreSQL cluster in the sandbox's data directory, started and stopped with it.
//!
//! The sandbox never writes to the database a real bot uses: on whichever server it runs it
//! uses its own database, [`SANDBOX_DATABASE`], and `--reset` drops only that one.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::str::FromStr;
use std::time::Duration;

use sqlx::Connection as _;
use sqlx::postgres::{PgConnectOptions, PgConnection};

/// The database the sandbox uses on any server.
/// (`drop_sandbox_database` spells it in its statement too.)
pub const SANDBOX_DATABASE: &str = "raidbot_sandbox";

/// How long a server gets to answer before the sandbox starts its own.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(3);

/// Something the sandbox cannot work around; the message says what to do.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DatabaseError(pub String);

fn fail<T>(message: impl Into<String>) -> Result<T, DatabaseError> {
    Err(DatabaseError(message.into()))
}

/// The sandbox's database, and the private cluster serving it if the sandbox started one.
#[derive(Debug)]
pub struct Database {
    /// `postgres://…/raidbot_sandbox`.
    pub url: String,
    pub cluster: Option<Cluster>,
}

/// `url` with its database name replaced by `database` (query parameters kept).
pub fn with_database(url: &str, database: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let authority_start = scheme_end + 3;
    let (base, query) = match url.find('?') {
        Some(q) => (&url[..q], &url[q..]),
        None => (url, ""),
    };
    let authority_end = base[authority_start..]
        .find('/')
        .map(|i| authority_start + i)
        .unwrap_or(base.len());
    format!("{}/{database}{query}", &base[..authority_end])
}

/// Whether a PostgreSQL server answers at `url` (any database on it). `Err` when it
/// answers but refuses (a wrong password, say): falling back would hide that.
async fn answers(url: &str) -> Result<bool, DatabaseError> {
    let options = match PgConnectOptions::from_str(&with_database(url, "postgres")) {
        Ok(o) => o,
        Err(e) => return fail(format!("DATABASE_URL is not a valid PostgreSQL URL: {e}")),
    };
    match tokio::time::timeout(ANSWER_TIMEOUT, PgConnection::connect_with(&options)).await {
        Err(_) => Ok(false),
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
            Ok(true)
        }
        Ok(Err(sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::PoolTimedOut)) => Ok(false),
        Ok(Err(e)) => fail(format!(
            "the PostgreSQL server at {} answers but refuses the sandbox: {e}",
            store::db::describe(url)
        )),
    }
}

/// The sandbox's database: on `server_url`'s server when it answers, else on a private
/// cluster under `data_dir/postgres` (created on first use).
pub async fn resolve(server_url: &str, data_dir: &Path) -> Result<Database, DatabaseError> {
    if answers(server_url).await? {
        return Ok(Database {
            url: with_database(server_url, SANDBOX_DATABASE),
            cluster: None,
        });
    }
    let described = store::db::describe(server_url);
    let data_dir = data_dir.to_owned();
    let cluster = tokio::task::spawn_blocking(move || Cluster::start(&data_dir, &described)).await;
    let cluster = match cluster {
        Ok(c) => c?,
        Err(e) => {
            return fail(format!(
                "starting the private PostgreSQL cluster failed: {e}"
            ));
        }
    };
    let url = format!(
        "postgres://postgres@127.0.0.1:{}/{SANDBOX_DATABASE}",
        cluster.port
    );
    Ok(Database {
        url,
        cluster: Some(cluster),
    })
}

/// Drops the sandbox database on the server of `url` (for `--reset`).
pub async fn drop_sandbox_database(url: &str) -> Result<(), DatabaseError> {
    let maintenance = with_database(url, "postgres");
    let options = PgConnectOptions::from_str(&maintenance)
        .map_err(|e| DatabaseError(format!("bad database URL: {e}")))?;
    let mut conn = PgConnection::connect_with(&options).await.map_err(|e| {
        DatabaseError(format!(
            "cannot reach {}: {e}",
            store::db::describe(&maintenance)
        ))
    })?;
    sqlx::query("DROP DATABASE IF EXISTS raidbot_sandbox WITH (FORCE)")
        .execute(&mut conn)
        .await
        .map_err(|e| DatabaseError(format!("cannot drop the sandbox database: {e}")))?;
    let _ = conn.close().await;
    Ok(())
}

/// A private PostgreSQL cluster: its directory, its programs, the user it runs as (when
/// the sandbox runs as root, since `initdb` and `postgres` refuse root) and its port.
#[derive(Debug)]
pub struct Cluster {
    dir: PathBuf,
    bin: PathBuf,
    run_as: Option<String>,
    pub port: u16,
}

impl Cluster {
    fn start(data_dir: &Path, unreachable: &str) -> Result<Cluster, DatabaseError> {
        let Some(bin) = server_programs() else {
            return fail(format!(
                "PostgreSQL does not answer at {unreachable} and its server programs (initdb, \
                 pg_ctl) are not installed: install PostgreSQL (Debian/Ubuntu: `apt install \
                 postgresql`) or set DATABASE_URL to a server that answers"
            ));
        };
        let run_as = if running_as_root() {
            Some(unprivileged_user()?)
        } else {
            None
        };
        let dir = absolute(&data_dir.join("postgres"))?;
        std::fs::create_dir_all(&dir)
            .map_err(|e| DatabaseError(format!("cannot create {}: {e}", dir.display())))?;
        let mut cluster = Cluster {
            dir,
            bin,
            run_as,
            port: 0,
        };
        cluster.hand_over_directory()?;
        if !cluster.dir.join("PG_VERSION").exists() {
            cluster.initdb()?;
        }
        cluster.port = match cluster.running_port() {
            Some(port) => port,
            None => cluster.pg_ctl_start()?,
        };
        Ok(cluster)
    }

    /// A command running `program` of the cluster's PostgreSQL, as its user.
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        let mut c = match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(path);
                c
            }
            None => Command::new(path),
        };
        c.stdin(Stdio::null());
        c
    }

    /// As root: the directory belongs to the cluster's user, who must also reach it.
    fn hand_over_directory(&self) -> Result<(), DatabaseError> {
        let Some(user) = &self.run_as else {
            return Ok(());
        };
        let Some((uid, gid)) = user_ids(user) else {
            return fail(format!("the user {user} has no entry in /etc/passwd"));
        };
        chown_tree(&self.dir, uid, gid).map_err(|e| {
            DatabaseError(format!("cannot give {} to {user}: {e}", self.dir.display()))
        })?;
        let reachable = Command::new("runuser")
            .args(["-u", user, "--", "test", "-w"])
            .arg(&self.dir)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !reachable {
            return fail(format!(
                "the private PostgreSQL cluster runs as the user {user} (PostgreSQL refuses \
                 root), who cannot reach {}: choose a --data-dir that user can reach (e.g. \
                 /var/tmp/raidbot-sandbox), or run the sandbox as a normal user",
                self.dir.display()
            ));
        }
        Ok(())
    }

    fn initdb(&self) -> Result<(), DatabaseError> {
        tracing::info!(dir = %self.dir.display(), "creating a private PostgreSQL cluster");
        let out = self
            .command("initdb")
            .arg("-D")
            .arg(&self.dir)
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ])
            .output()
            .map_err(|e| DatabaseError(format!("cannot run initdb: {e}")))?;
        if !out.status.success() {
            return fail(format!(
                "initdb failed: {}",
                last_line(&out.stderr).unwrap_or("no reason given")
            ));
        }
        // Loopback only, no Unix socket (its path could be too long or unreachable), and
        // commits that do not wait for the disk: this is a sandbox, not a ledger.
        let settings = "\n# raidbot sandbox\nlisten_addresses = '127.0.0.1'\n\
                        unix_socket_directories = ''\nsynchronous_commit = off\n\
                        max_connections = 60\n";
        let conf = self.dir.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf)
            .map_err(|e| DatabaseError(format!("cannot read {}: {e}", conf.display())))?;
        text.push_str(settings);
        std::fs::write(&conf, text)
            .map_err(|e| DatabaseError(format!("cannot write {}: {e}", conf.display())))?;
        Ok(())
    }

    /// The port of a postmaster already running on this directory (a sandbox killed
    /// without stopping it), if it is there.
    fn running_port(&self) -> Option<u16> {
        let status = self
            .command("pg_ctl")
            .arg("status")
            .arg("-D")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .ok()?;
        if !status.success() {
            return None;
        }
        // postmaster.pid: pid, data directory, start time, port, ...
        let pid_file = std::fs::read_to_string(self.dir.join("postmaster.pid")).ok()?;
        pid_file.lines().nth(3)?.trim().parse().ok()
    }

    fn pg_ctl_start(&self) -> Result<u16, DatabaseError> {
        let port = free_port()?;
        tracing::info!(port, "starting the private PostgreSQL cluster");
        let out = self
            .command("pg_ctl")
            .arg("start")
            .arg("-D")
            .arg(&self.dir)
            .args(["-w", "-t", "60", "-l"])
            .arg(self.dir.join("server.log"))
            .args(["-o", &format!("-p {port}")])
            .output()
            .map_err(|e| DatabaseError(format!("cannot run pg_ctl: {e}")))?;
        if !out.status.success() {
            return fail(format!(
                "the private PostgreSQL cluster did not start ({}); its log is {}",
                last_line(&out.stderr)
                    .or(last_line(&out.stdout))
                    .unwrap_or("no reason given"),
                self.dir.join("server.log").display()
            ));
        }
        Ok(port)
    }

    /// Stops the cluster (fast: open connections are closed, nothing is lost).
    pub fn stop(&self) {
        let result = self
            .command("pg_ctl")
            .arg("stop")
            .arg("-D")
            .arg(&self.dir)
            .args(["-m", "fast", "-w", "-t", "60"])
            .stdout(Stdio::null())
            .output();
        match result {
            Ok(out) if out.status.success() => {
                tracing::info!("the private PostgreSQL cluster stopped");
            }
            Ok(out) => tracing::warn!(
                reason = last_line(&out.stderr).unwrap_or(""),
                "stopping the private PostgreSQL cluster failed"
            ),
            Err(e) => tracing::warn!(error = %e, "cannot run pg_ctl stop"),
        }
    }
}

fn last_line(bytes: &[u8]) -> Option<&str> {
    std::str::from_utf8(bytes)
        .ok()?
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
}

fn absolute(path: &Path) -> Result<PathBuf, DatabaseError> {
    if path.is_absolute() {
        return Ok(path.to_owned());
    }
    std::env::current_dir()
        .map(|d| d.join(path))
        .map_err(|e| DatabaseError(format!("cannot tell the current directory: {e}")))
}

/// The directory holding `initdb` and `pg_ctl`: on PATH, else the newest under Debian's
/// `/usr/lib/postgresql/<version>/bin`.
fn server_programs() -> Option<PathBuf> {
    let has_both = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if has_both(&dir) {
                // Debian links pg_ctl into PATH; the real programs sit beside `postgres`.
                let real = std::fs::canonicalize(dir.join("initdb"))
                    .ok()
                    .and_then(|p| p.parent().map(Path::to_owned))
                    .filter(|d| has_both(d));
                return Some(real.unwrap_or(dir));
            }
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| {
            let e = e.ok()?;
            let version = e.file_name().to_str()?.parse().ok()?;
            Some((version, e.path().join("bin")))
        })
        .filter(|(_, bin)| has_both(bin))
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1).map(|e| e == "0"))
        })
        .unwrap_or(false)
}

/// The user a root-started sandbox runs PostgreSQL as: `postgres` when it exists, else a
/// system user the sandbox creates.
fn unprivileged_user() -> Result<String, DatabaseError> {
    for user in ["postgres", "raidbot-sandbox"] {
        if user_ids(user).is_some() {
            return Ok(user.to_owned());
        }
    }
    let created = Command::new("useradd")
        .args([
            "--system",
            "--user-group",
            "--no-create-home",
            "--shell",
            "/usr/sbin/nologin",
            "raidbot-sandbox",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if created && user_ids("raidbot-sandbox").is_some() {
        return Ok("raidbot-sandbox".to_owned());
    }
    fail(
        "PostgreSQL refuses to run as root and no unprivileged user is at hand: run the \
         sandbox as a normal user, create one (`useradd --system postgres`), or set \
         DATABASE_URL to a server that answers",
    )
}

/// (uid, gid) of a user, from /etc/passwd.
fn user_ids(user: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut f = line.split(':');
        if f.next()? != user {
            return None;
        }
        let _password = f.next()?;
        Some((f.next()?.parse().ok()?, f.next()?.parse().ok()?))
    })
}

/// Gives `dir` (not its contents: `initdb` creates those as the user) to `uid:gid`.
fn chown_tree(dir: &Path, uid: u32, gid: u32) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt as _;
    if std::fs::metadata(dir)?.uid() != uid {
        std::os::unix::fs::chown(dir, Some(uid), Some(gid))?;
    }
    Ok(())
}

fn free_port() -> Result<u16, DatabaseError> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| DatabaseError(format!("no free loopback port: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_name_is_replaced_and_the_rest_kept() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/raidbot", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u:p@db:5432/raidbot?sslmode=disable", "x"),
            "postgres://u:p@db:5432/x?sslmode=disable"
        );
        assert_eq!(
            with_database("postgresql://localhost", "x"),
            "postgresql://localhost/x"
        );
        assert_eq!(
            with_database("postgres://h:1?application_name=a", "x"),
            "postgres://h:1/x?application_name=a"
        );
    }
}
