//! `raidbot backup --to FILE` and `raidbot restore --from FILE`: PostgreSQL's own
//! `pg_dump -Fc` and `pg_restore`, with the checks that keep an operator from losing data.
//!
//! A backup is written to a hidden `.FILE.partial` next to FILE and renamed when `pg_dump`
//! succeeds, so FILE is always a whole archive; an existing FILE is never overwritten
//! without `--force`. Backing up never migrates or otherwise writes to the database.
//!
//! A restore never writes into a database that holds tables. It checks the archive first
//! (its table of contents must list raidbot's `_sqlx_migrations`), restores into a new
//! staging database in one transaction, and only then puts the staging database in place:
//! under the target's name when that does not exist or has no tables, or — with `--force`
//! and nobody connected — after renaming the current database aside
//! (`<name>_pre_restore_<time>`), which is kept, not dropped. A failed restore drops the
//! staging database and leaves the target as it was.

use std::ffi::{OsStr, OsString};
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr as _;

use anyhow::{Context as _, anyhow, bail};
use sqlx::migrate::Migrate as _;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions as _, Connection as _, PgConnection};
use store::db::{MIGRATOR, describe};

/// Where Debian and Ubuntu install each PostgreSQL version's programs.
pub const PG_LIB_DIR: &str = "/usr/lib/postgresql";

/// `name` on `path` (a `PATH`-style list), else in `<root>/<version>/bin` of the newest
/// version under any of `roots`.
pub fn find_tool(name: &str, path: Option<&OsStr>, roots: &[&Path]) -> Option<PathBuf> {
    if let Some(path) = path {
        for dir in std::env::split_paths(path) {
            let candidate = dir.join(name);
            if is_executable(&candidate) {
                return Some(candidate);
            }
        }
    }
    let mut best: Option<(Vec<u32>, PathBuf)> = None;
    for root in roots {
        let Ok(entries) = std::fs::read_dir(root) else {
            continue;
        };
        for entry in entries.flatten() {
            let version: Vec<u32> = entry
                .file_name()
                .to_string_lossy()
                .split('.')
                .map(|part| part.parse().unwrap_or(0))
                .collect();
            let candidate = entry.path().join("bin").join(name);
            if is_executable(&candidate) && best.as_ref().is_none_or(|(v, _)| version > *v) {
                best = Some((version, candidate));
            }
        }
    }
    best.map(|(_, p)| p)
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        path.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

/// The PostgreSQL program `name`, or the one-line error saying where it was looked for.
fn tool(name: &str) -> anyhow::Result<PathBuf> {
    let path: Option<OsString> = std::env::var_os("PATH");
    find_tool(name, path.as_deref(), &[Path::new(PG_LIB_DIR)]).ok_or_else(|| {
        anyhow!(
            "{name} not found on PATH or under {PG_LIB_DIR}/*/bin: install PostgreSQL's client \
             programs (Debian: apt-get install postgresql-client), the same major version as \
             the server or newer"
        )
    })
}

/// How libpq programs reach a database: the URL without its password (so it does not
/// show in `ps`), and the password for `PGPASSWORD`.
struct Libpq {
    url: String,
    password: Option<String>,
}

fn libpq(database_url: &str, database: &str) -> anyhow::Result<Libpq> {
    let mut url = url::Url::parse(database_url)
        .map_err(|e| anyhow!("DATABASE_URL is not a valid PostgreSQL URL: {e}"))?;
    let password = match url.password() {
        Some(p) => Some(
            percent_encoding::percent_decode_str(p)
                .decode_utf8()
                .map_err(|_| anyhow!("DATABASE_URL's password is not valid UTF-8"))?
                .into_owned(),
        ),
        None => None,
    };
    url.set_password(None)
        .map_err(|()| anyhow!("DATABASE_URL has no host"))?;
    url.set_path(&format!("/{database}"));
    Ok(Libpq {
        url: url.into(),
        password,
    })
}

/// Runs a PostgreSQL program; on failure, its complaint as one line.
fn run(mut command: Command, libpq: &Libpq) -> anyhow::Result<String> {
    let program = command.get_program().to_string_lossy().into_owned();
    let name = Path::new(&program)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or(program.clone());
    command.env_remove("PGPASSWORD");
    if let Some(p) = &libpq.password {
        command.env("PGPASSWORD", p);
    }
    let out = command
        .output()
        .with_context(|| format!("cannot run {program}"))?;
    if out.status.success() {
        return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let said: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let said = if said.is_empty() {
        format!("exit status {}", out.status)
    } else {
        said.join(" / ")
    };
    bail!("{name} failed: {said}")
}

/// `raidbot backup --to FILE`.
pub async fn backup(database_url: &str, to: &Path, force: bool) -> anyhow::Result<String> {
    let opts = PgConnectOptions::from_str(database_url)
        .map_err(|e| anyhow!("DATABASE_URL is not a valid PostgreSQL URL: {e}"))?;
    let database = opts
        .get_database()
        .ok_or_else(|| anyhow!("DATABASE_URL names no database"))?
        .to_owned();
    if to.exists() && !force {
        bail!(
            "{} already exists: choose another file, or pass --force to replace it",
            to.display()
        );
    }
    let file_name = to
        .file_name()
        .ok_or_else(|| anyhow!("--to {} names no file", to.display()))?;
    let dir = match to.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        bail!(
            "cannot write {}: {} is not a folder",
            to.display(),
            dir.display()
        );
    }
    let partial = dir.join(format!(".{}.partial", file_name.to_string_lossy()));
    let pg_dump = tool("pg_dump")?;
    let mut session =
        PgConnection::connect_with(&opts.clone().log_statements(tracing::log::LevelFilter::Off))
            .await
            .map_err(|e| {
                anyhow!(
                    "cannot reach the database at {}: {e}",
                    describe(database_url)
                )
            })?;
    // Hold the migration lock (the advisory lock sqlx's migrator takes) while dumping: a
    // raidbot starting meanwhile migrates after the backup, and a backup started during a
    // migration waits for it, so no backup holds a half-migrated database.
    session
        .lock()
        .await
        .map_err(|e| anyhow!("cannot take the migration lock: {e}"))?;
    // A database raidbot has not migrated yet (just created, or wiped) is not worth a
    // backup file: in a rotation it would push out a good one.
    let result = match has_schema(&mut session).await {
        Ok(true) => dump(database_url, &database, &pg_dump, &partial).await,
        Ok(false) => Err(anyhow!(
            "{} holds no raidbot schema yet (no _sqlx_migrations table), so there is nothing \
             to back up: start raidbot (or run `raidbot migrate`) first",
            describe(database_url)
        )),
        Err(e) => Err(e),
    };
    let _ = session.unlock().await;
    session.close().await.ok();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }
    std::fs::rename(&partial, to).with_context(|| {
        format!(
            "cannot move the finished backup {} to {}",
            partial.display(),
            to.display()
        )
    })?;
    let size = std::fs::metadata(to).map(|m| m.len()).unwrap_or(0);
    Ok(format!(
        "backed up {} to {} ({})",
        describe(database_url),
        to.display(),
        human_size(size)
    ))
}

/// Whether raidbot's schema (`_sqlx_migrations`) is in the database.
async fn has_schema(session: &mut PgConnection) -> anyhow::Result<bool> {
    Ok(
        sqlx::query_scalar("SELECT to_regclass('public._sqlx_migrations') IS NOT NULL")
            .fetch_one(&mut *session)
            .await?,
    )
}

/// `pg_dump -Fc` of `database` into `partial`.
async fn dump(
    database_url: &str,
    database: &str,
    pg_dump: &Path,
    partial: &Path,
) -> anyhow::Result<()> {
    let conn = libpq(database_url, database)?;
    let mut command = Command::new(pg_dump);
    command
        .arg("--format=custom")
        .arg("--no-password")
        .arg("--file")
        .arg(partial)
        .arg("--dbname")
        .arg(&conn.url);
    tokio::task::spawn_blocking(move || run(command, &conn))
        .await
        .context("the pg_dump task panicked")?
        .map(|_| ())
        .with_context(|| format!("backing up {}", describe(database_url)))
}

fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    #[allow(clippy::cast_precision_loss)]
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// `"name"`, for SQL that names a database.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `base` + `suffix`, shortened so the whole fits PostgreSQL's 63-byte names.
fn with_suffix(base: &str, suffix: &str) -> String {
    let mut keep = 63usize.saturating_sub(suffix.len()).min(base.len());
    while !base.is_char_boundary(keep) {
        keep -= 1;
    }
    format!("{}{suffix}", &base[..keep])
}

async fn exec(conn: &mut PgConnection, sql: String) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&mut *conn)
        .await
        .map(|_| ())
}

/// Connections to `database` other than ours.
async fn others_connected(admin: &mut PgConnection, database: &str) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
    )
    .bind(database)
    .fetch_one(&mut *admin)
    .await?)
}

/// Tables (outside PostgreSQL's own schemas) in the database `opts` points at.
async fn table_count(opts: &PgConnectOptions) -> anyhow::Result<i64> {
    let mut conn = PgConnection::connect_with(opts).await?;
    let n = sqlx::query_scalar(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p') \
           AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
           AND n.nspname NOT LIKE 'pg\\_toast%'",
    )
    .fetch_one(&mut conn)
    .await?;
    conn.close().await.ok();
    Ok(n)
}

/// Checks that `from` is a whole pg_dump custom-format archive of a raidbot database,
/// before anything on the server is touched.
fn check_archive(pg_restore: &Path, from: &Path) -> anyhow::Result<()> {
    let mut magic = [0u8; 5];
    std::fs::File::open(from)
        .and_then(|mut f| f.read_exact(&mut magic))
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => anyhow!(
                "{} is not a backup made by `raidbot backup` or `pg_dump -Fc` (too short)",
                from.display()
            ),
            _ => anyhow!("cannot read {}: {e}", from.display()),
        })?;
    if &magic != b"PGDMP" {
        bail!(
            "{} is not a backup made by `raidbot backup` or `pg_dump -Fc` (a plain SQL dump \
             is restored with psql)",
            from.display()
        );
    }
    let mut list = Command::new(pg_restore);
    list.arg("--list").arg(from);
    let none = Libpq {
        url: String::new(),
        password: None,
    };
    let toc = run(list, &none).with_context(|| format!("{} is damaged", from.display()))?;
    if !toc
        .lines()
        .any(|l| !l.starts_with(';') && l.contains(" TABLE ") && l.contains(" _sqlx_migrations "))
    {
        bail!(
            "{} holds no raidbot database (it has no _sqlx_migrations table)",
            from.display()
        );
    }
    Ok(())
}

/// `raidbot restore --from FILE`.
pub async fn restore(database_url: &str, from: &Path, force: bool) -> anyhow::Result<String> {
    let opts = PgConnectOptions::from_str(database_url)
        .map_err(|e| anyhow!("DATABASE_URL is not a valid PostgreSQL URL: {e}"))?
        .log_statements(tracing::log::LevelFilter::Off);
    let target = opts
        .get_database()
        .ok_or_else(|| anyhow!("DATABASE_URL names no database"))?
        .to_owned();
    if matches!(target.as_str(), "postgres" | "template0" | "template1") {
        bail!("restore into a database of raidbot's own, not `{target}` (set DATABASE_URL)");
    }
    let pg_restore = tool("pg_restore")?;
    {
        let (pg_restore, from) = (pg_restore.clone(), from.to_path_buf());
        tokio::task::spawn_blocking(move || check_archive(&pg_restore, &from))
            .await
            .context("the archive check panicked")??;
    }
    let place = describe(database_url);
    let unreachable = |e: sqlx::Error| anyhow!("cannot reach the database server at {place}: {e}");
    let mut admin = PgConnection::connect_with(&opts.clone().database("postgres"))
        .await
        .map_err(unreachable)?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&target)
            .fetch_one(&mut admin)
            .await?;
    let tables = if exists {
        table_count(&opts)
            .await
            .map_err(|e| anyhow!("cannot look into {place} to see whether it holds data: {e:#}"))?
    } else {
        0
    };
    let stamp = chrono::Utc::now().format("%Y%m%d%H%M%S").to_string();
    let aside = with_suffix(&target, &format!("_pre_restore_{stamp}"));
    if tables > 0 {
        if !force {
            bail!(
                "{place} already holds data ({tables} tables), so nothing was restored: restore \
                 into a new database (set DATABASE_URL to a database name that does not exist), \
                 or pass --force to restore it here and keep the current database as `{aside}`"
            );
        }
        // Our own look into the database (`table_count`) has just closed; its server
        // process may still be listed for a moment as it exits. Real users stay connected.
        let mut others = others_connected(&mut admin, &target).await?;
        for _ in 0..20 {
            if others == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            others = others_connected(&mut admin, &target).await?;
        }
        if others > 0 {
            bail!(
                "{place} is in use ({others} other connections), so nothing was restored: stop \
                 every raidbot process using it (`up`, `bot`, `api`) and run the restore again"
            );
        }
    }

    // Restore into a staging database, all or nothing.
    let staging = with_suffix(&target, &format!("_restoring_{stamp}"));
    exec(
        &mut admin,
        format!("CREATE DATABASE {} TEMPLATE template0", ident(&staging)),
    )
    .await
    .with_context(|| format!("cannot create the staging database `{staging}`"))?;
    let conn = libpq(database_url, &staging)?;
    let mut command = Command::new(&pg_restore);
    command
        .args([
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            "--no-password",
        ])
        .arg("--dbname")
        .arg(&conn.url)
        .arg(from);
    let restored = tokio::task::spawn_blocking(move || run(command, &conn))
        .await
        .context("the pg_restore task panicked")?;
    let version = match restored {
        Ok(_) => schema_version(&opts.clone().database(&staging)).await,
        Err(e) => Err(e),
    };
    let version = match version {
        Ok(v) => v,
        Err(e) => {
            let _ = exec(
                &mut admin,
                format!("DROP DATABASE IF EXISTS {}", ident(&staging)),
            )
            .await;
            return Err(e.context(format!(
                "restoring {} failed; {place} was not changed",
                from.display()
            )));
        }
    };

    // Put it in place.
    let mut kept = None;
    let swap: anyhow::Result<()> = async {
        if exists && tables == 0 {
            exec(&mut admin, format!("DROP DATABASE {}", ident(&target)))
                .await
                .context("cannot replace the empty database (is something connected to it?)")?;
        } else if exists {
            exec(
                &mut admin,
                format!(
                    "ALTER DATABASE {} RENAME TO {}",
                    ident(&target),
                    ident(&aside)
                ),
            )
            .await
            .context("cannot rename the current database aside (is something connected to it?)")?;
            kept = Some(aside.clone());
        }
        let renamed = exec(
            &mut admin,
            format!(
                "ALTER DATABASE {} RENAME TO {}",
                ident(&staging),
                ident(&target)
            ),
        )
        .await;
        if let Err(e) = renamed {
            if kept.take().is_some() {
                let _ = exec(
                    &mut admin,
                    format!(
                        "ALTER DATABASE {} RENAME TO {}",
                        ident(&aside),
                        ident(&target)
                    ),
                )
                .await;
            }
            return Err(anyhow::Error::from(e).context("cannot rename the restored database"));
        }
        Ok(())
    }
    .await;
    if let Err(e) = swap {
        let _ = exec(
            &mut admin,
            format!("DROP DATABASE IF EXISTS {}", ident(&staging)),
        )
        .await;
        return Err(e.context(format!("{place} was not changed")));
    }
    admin.close().await.ok();

    let known = MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0);
    let mut out = format!(
        "restored {} into {place} (schema at migration {version})",
        from.display()
    );
    if version > known {
        out.push_str(&format!(
            "\nwarning: the backup is from a newer raidbot (migration {version}; this one knows \
             up to {known}): run that version against it"
        ));
    } else if version < known {
        out.push_str(&format!(
            "\nthe next `raidbot up` (or `raidbot migrate`) applies migrations {} to {known}",
            version + 1
        ));
    }
    if let Some(kept) = kept {
        out.push_str(&format!(
            "\nthe previous database is kept as `{kept}`; once the restore is checked, drop it \
             with: DROP DATABASE \"{kept}\";"
        ));
    }
    Ok(out)
}

/// The newest migration applied in a restored database.
async fn schema_version(opts: &PgConnectOptions) -> anyhow::Result<i64> {
    let mut conn = PgConnection::connect_with(opts).await?;
    let v: Option<i64> =
        sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(&mut conn)
            .await
            .context("the restored database has no readable _sqlx_migrations table")?;
    conn.close().await.ok();
    Ok(v.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_tool(dir: &Path, name: &str) {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::create_dir_all(dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    #[test]
    fn tools_come_from_path_first_then_the_newest_postgresql() {
        let base = std::env::temp_dir().join(format!("raidbot-find-tool-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let lib = base.join("lib");
        fake_tool(&lib.join("9.6/bin"), "pg_dump");
        fake_tool(&lib.join("15/bin"), "pg_dump");
        fake_tool(&lib.join("13/bin"), "pg_dump");
        std::fs::create_dir_all(lib.join("16/bin")).unwrap(); // no pg_dump in it
        let empty = base.join("empty");
        std::fs::create_dir_all(&empty).unwrap();
        let found = find_tool("pg_dump", Some(empty.as_os_str()), &[&lib]).unwrap();
        assert_eq!(found, lib.join("15/bin/pg_dump"));
        let on_path = base.join("bin");
        fake_tool(&on_path, "pg_dump");
        let path = std::env::join_paths([&empty, &on_path]).unwrap();
        assert_eq!(
            find_tool("pg_dump", Some(&path), &[&lib]).unwrap(),
            on_path.join("pg_dump")
        );
        assert_eq!(find_tool("pg_restore", Some(&path), &[&lib]), None);
        assert_eq!(find_tool("pg_dump", None, &[&empty]), None);
        std::fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn libpq_gets_the_url_without_its_password() {
        let c = libpq(
            "postgres://raidbot:p%40ss%3Aw@db:5432/raidbot?sslmode=disable",
            "x_1",
        )
        .unwrap();
        assert_eq!(c.url, "postgres://raidbot@db:5432/x_1?sslmode=disable");
        assert_eq!(c.password.as_deref(), Some("p@ss:w"));
        let c = libpq("postgres://postgres@127.0.0.1/raidbot", "raidbot").unwrap();
        assert_eq!(c.password, None);
    }

    #[test]
    fn names_fit_postgresql_limits() {
        let long = "d".repeat(70);
        let n = with_suffix(&long, "_pre_restore_20260101000000");
        assert_eq!(n.len(), 63);
        assert!(n.ends_with("_pre_restore_20260101000000"));
        assert_eq!(with_suffix("raidbot", "_x"), "raidbot_x");
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(human_size(512), "512 bytes");
        assert_eq!(human_size(1536), "1.5 KiB");
    }
}
