//! What an operator runs besides `up`: `raidbot backup` and `raidbot restore` against the
//! local PostgreSQL (a migrated database with rows survives the round trip exactly, and a
//! restore never overwrites data by accident), and `raidbot healthcheck` against a running
//! API, which also stops cleanly on SIGTERM.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sqlx::{Connection as _, PgConnection};
use store::testing::TestDb;

fn raidbot(url: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_raidbot"));
    c.current_dir(std::env::temp_dir());
    for var in [
        "DISCORD_TOKEN",
        "API_BIND",
        "API_SERVICE_KEY",
        "LOG_FORMAT",
        "PGPASSWORD",
    ] {
        c.env_remove(var);
    }
    c.env("DATABASE_URL", url);
    c
}

fn lines(bytes: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(bytes)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

fn ok(out: &Output) -> Vec<String> {
    assert!(
        out.status.success(),
        "failed: {:?} {:?}",
        lines(&out.stdout),
        lines(&out.stderr)
    );
    lines(&out.stdout)
}

/// The one line of a failure.
fn failure(out: &Output) -> String {
    assert!(!out.status.success(), "succeeded: {:?}", lines(&out.stdout));
    let err = lines(&out.stderr);
    assert_eq!(err.len(), 1, "{err:?}");
    assert!(!err[0].contains("panicked"), "{err:?}");
    err[0].clone()
}

/// A folder of its own under the temp dir, removed at the end of the test.
struct Dir(PathBuf);
impl Dir {
    fn new(tag: &str) -> Dir {
        let d = std::env::temp_dir().join(format!(
            "raidbot-{tag}-{}-{}",
            std::process::id(),
            rand_suffix()
        ));
        std::fs::create_dir_all(&d).unwrap();
        Dir(d)
    }
    fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}
impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn rand_suffix() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

fn url_with_db(url: &str, db: &str) -> String {
    let (server, _) = url.rsplit_once('/').unwrap();
    format!("{server}/{db}")
}

fn db_name(url: &str) -> String {
    url.rsplit('/').next().unwrap().to_owned()
}

async fn admin(url: &str) -> PgConnection {
    PgConnection::connect(&url_with_db(url, "postgres"))
        .await
        .unwrap()
}

async fn drop_db(url: &str, name: &str) {
    let mut a = admin(url).await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
    )))
    .execute(&mut a)
    .await
    .unwrap();
}

/// Waits until no session is connected to the database: a closed connection's server
/// process ends a moment after the client has let go (longer on a loaded machine).
async fn wait_until_nobody_is_connected(url: &str) {
    let mut a = admin(url).await;
    let name = db_name(url);
    for _ in 0..600 {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = $1")
            .bind(&name)
            .fetch_one(&mut a)
            .await
            .unwrap();
        if n == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("sessions are still connected to {name} after 30 s");
}

async fn databases_like(url: &str, prefix: &str) -> Vec<String> {
    let mut a = admin(url).await;
    sqlx::query_scalar("SELECT datname FROM pg_database WHERE starts_with(datname, $1) ORDER BY 1")
        .bind(prefix)
        .fetch_all(&mut a)
        .await
        .unwrap()
}

/// Every table of the public schema with a digest of all its rows, and every sequence's
/// position: equal fingerprints mean equal data.
async fn fingerprint(url: &str) -> Vec<(String, i64, String)> {
    let mut conn = PgConnection::connect(url).await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert!(tables.len() > 20, "{tables:?}");
    let mut out = Vec::new();
    for t in tables {
        let (n, digest): (i64, Option<String>) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT count(*), md5(string_agg(x::text, E'\\n' ORDER BY x::text)) FROM \"{t}\" x"
        )))
        .fetch_one(&mut conn)
        .await
        .unwrap();
        out.push((t, n, digest.unwrap_or_default()));
    }
    let seqs: Vec<(String, Option<i64>)> = sqlx::query_as(
        "SELECT sequencename::text, last_value FROM pg_sequences WHERE schemaname = 'public' \
         ORDER BY 1",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    for (s, v) in seqs {
        out.push((format!("sequence {s}"), v.unwrap_or(0), String::new()));
    }
    conn.close().await.unwrap();
    out
}

/// Rows in several tables: guilds, their roles and channels, members, runs, API keys.
async fn seed(t: &TestDb) {
    sqlx::raw_sql(
        "INSERT INTO guild (guild_id) VALUES (700000000000000001), (700000000000000002);
         INSERT INTO guild_role (guild_id, role_key, discord_role_id)
           VALUES (700000000000000001, 'organizer', 800000000000000001),
                  (700000000000000001, 'verified_raider', 800000000000000002);
         INSERT INTO guild_channel (guild_id, channel_key, discord_channel_id)
           VALUES (700000000000000001, 'raid', 900000000000000001);
         INSERT INTO member (guild_id, user_id, ign, status)
           SELECT 700000000000000001, 100000000000000000 + g,
                  'Raider' || translate(g::text, '0123456789', 'abcdefghij'), 'verified'
           FROM generate_series(1, 50) g;
         INSERT INTO run (guild_id, organizer_id, dungeon_code, location, auto_end_at)
           SELECT 700000000000000001, 100000000000000000 + g, 'shatters', 'USW ' || g,
                  now() + interval '2 hours'
           FROM generate_series(1, 7) g;",
    )
    .execute(&t.pool)
    .await
    .unwrap();
    let out = raidbot(&t.url)
        .args([
            "apikey",
            "create",
            "--guild",
            "700000000000000001",
            "--level",
            "officer",
            "--label",
            "dashboard",
        ])
        .output()
        .unwrap();
    ok(&out);
}

#[tokio::test]
async fn a_backup_restores_into_a_new_database_with_every_row() {
    let t = TestDb::new().await;
    seed(&t).await;
    let dir = Dir::new("backup");
    let file = dir.file("raidbot.dump");
    let out = ok(&raidbot(&t.url)
        .args(["backup", "--to"])
        .arg(&file)
        .output()
        .unwrap());
    assert_eq!(out.len(), 1, "{out:?}");
    assert!(out[0].starts_with("backed up "), "{out:?}");
    assert!(file.is_file());
    // No partial file is left behind.
    assert_eq!(std::fs::read_dir(&dir.0).unwrap().count(), 1);

    let fresh = format!("{}_copy", t.url);
    let out = ok(&raidbot(&fresh)
        .args(["restore", "--from"])
        .arg(&file)
        .output()
        .unwrap());
    assert!(out[0].starts_with("restored "), "{out:?}");
    assert!(out[0].contains("schema at migration"), "{out:?}");
    let before = fingerprint(&t.url).await;
    let after = fingerprint(&fresh).await;
    assert_eq!(before, after);
    let members = before.iter().find(|(t, ..)| t == "member").unwrap();
    assert_eq!(members.1, 50);
    // The restored database is one raidbot can start on: migrating it again is a no-op.
    ok(&raidbot(&fresh).arg("migrate").output().unwrap());
    assert_eq!(fingerprint(&fresh).await, after);
    // No staging database is left behind.
    assert_eq!(
        databases_like(&t.url, &db_name(&fresh)).await,
        vec![db_name(&fresh)]
    );
    drop_db(&t.url, &db_name(&fresh)).await;
}

#[tokio::test]
async fn a_restore_never_overwrites_data_by_accident() {
    let t = TestDb::new().await;
    seed(&t).await;
    let dir = Dir::new("restore-guard");
    let file = dir.file("before.dump");
    ok(&raidbot(&t.url)
        .args(["backup", "--to"])
        .arg(&file)
        .output()
        .unwrap());
    // A backup never overwrites a file without --force.
    let e = failure(
        &raidbot(&t.url)
            .args(["backup", "--to"])
            .arg(&file)
            .output()
            .unwrap(),
    );
    assert!(e.contains("already exists"), "{e}");

    // Changes after the backup.
    sqlx::query("DELETE FROM member WHERE user_id > 100000000000000010")
        .execute(&t.pool)
        .await
        .unwrap();
    let changed = fingerprint(&t.url).await;

    // Without --force: refused, nothing changed.
    let e = failure(
        &raidbot(&t.url)
            .args(["restore", "--from"])
            .arg(&file)
            .output()
            .unwrap(),
    );
    assert!(e.contains("already holds data"), "{e}");
    assert!(e.contains("--force"), "{e}");
    assert_eq!(fingerprint(&t.url).await, changed);

    // With --force while something is connected: refused, nothing changed.
    let e = failure(
        &raidbot(&t.url)
            .args(["restore", "--force", "--from"])
            .arg(&file)
            .output()
            .unwrap(),
    );
    assert!(e.contains("is in use"), "{e}");
    assert_eq!(fingerprint(&t.url).await, changed);

    // With --force and nobody connected: restored, the current data kept aside.
    t.pool.close().await;
    wait_until_nobody_is_connected(&t.url).await;
    let out = ok(&raidbot(&t.url)
        .args(["restore", "--force", "--from"])
        .arg(&file)
        .output()
        .unwrap());
    let kept_line = out.iter().find(|l| l.contains("is kept as")).unwrap();
    let kept = kept_line.split('`').nth(1).unwrap().to_owned();
    assert!(kept.starts_with(&format!("{}_pre_restore_", db_name(&t.url))));
    let restored = fingerprint(&t.url).await;
    assert_ne!(restored, changed);
    let members = restored.iter().find(|(t, ..)| t == "member").unwrap();
    assert_eq!(members.1, 50);
    assert_eq!(fingerprint(&url_with_db(&t.url, &kept)).await, changed);
    drop_db(&t.url, &kept).await;
}

#[tokio::test]
async fn bad_archives_are_refused_before_the_server_is_touched() {
    let t = TestDb::new().await;
    let dir = Dir::new("bad-archive");
    let target = format!("{}_never", t.url);

    let missing = dir.file("missing.dump");
    let e = failure(&restore(&target, &missing));
    assert!(e.starts_with("error: cannot read "), "{e}");

    let sql = dir.file("plain.sql");
    std::fs::write(&sql, "CREATE TABLE x ();\n").unwrap();
    let e = failure(&restore(&target, &sql));
    assert!(
        e.contains("is not a backup made by `raidbot backup`"),
        "{e}"
    );

    let truncated = dir.file("truncated.dump");
    std::fs::write(&truncated, b"PGDMP\x01\x0e\x00").unwrap();
    let e = failure(&restore(&target, &truncated));
    assert!(e.contains("is damaged"), "{e}");

    // A pg_dump archive of some other database.
    let other = dir.file("other.dump");
    let mut a = admin(&t.url).await;
    let other_db = format!("{}_other", db_name(&t.url));
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {other_db}")))
        .execute(&mut a)
        .await
        .unwrap();
    let mut c = PgConnection::connect(&url_with_db(&t.url, &other_db))
        .await
        .unwrap();
    sqlx::raw_sql("CREATE TABLE notes (body text); INSERT INTO notes VALUES ('hi');")
        .execute(&mut c)
        .await
        .unwrap();
    c.close().await.unwrap();
    let pg_dump = ["/usr/bin/pg_dump"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from("pg_dump"));
    let status = Command::new(pg_dump)
        .args(["-Fc", "-f"])
        .arg(&other)
        .arg(url_with_db(&t.url, &other_db))
        .status()
        .unwrap();
    assert!(status.success());
    drop_db(&t.url, &other_db).await;
    let e = failure(&restore(&target, &other));
    assert!(e.contains("holds no raidbot database"), "{e}");

    // None of these created the target or a staging database.
    assert!(databases_like(&t.url, &db_name(&target)).await.is_empty());
}

fn restore(url: &str, file: &Path) -> Output {
    raidbot(url)
        .args(["restore", "--from"])
        .arg(file)
        .output()
        .unwrap()
}

#[tokio::test]
async fn a_database_without_raidbot_schema_is_not_backed_up() {
    let t = TestDb::new().await;
    let bare = format!("{}_bare", db_name(&t.url));
    let mut a = admin(&t.url).await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {bare}")))
        .execute(&mut a)
        .await
        .unwrap();
    let dir = Dir::new("bare");
    let file = dir.file("bare.dump");
    let e = failure(
        &raidbot(&url_with_db(&t.url, &bare))
            .args(["backup", "--to"])
            .arg(&file)
            .output()
            .unwrap(),
    );
    assert!(e.contains("holds no raidbot schema yet"), "{e}");
    assert_eq!(std::fs::read_dir(&dir.0).unwrap().count(), 0);
    drop_db(&t.url, &bare).await;
}

#[test]
fn missing_postgresql_programs_are_one_line() {
    // An empty PATH: pg_dump is found only if /usr/lib/postgresql has it, so this test
    // checks the message where it is absent and the fallback where it is present.
    let empty = Dir::new("no-path");
    let file = empty.file("x.dump");
    let out = raidbot("postgres://postgres@127.0.0.1:1/raidbot")
        .env("PATH", &empty.0)
        .args(["backup", "--to"])
        .arg(&file)
        .output()
        .unwrap();
    let e = failure(&out);
    let has_fallback = std::fs::read_dir(raidbot::backup::PG_LIB_DIR)
        .map(|d| d.flatten().any(|v| v.path().join("bin/pg_dump").exists()))
        .unwrap_or(false);
    if has_fallback {
        // Found under /usr/lib/postgresql; then port 1 cannot be reached, in one line.
        assert!(
            e.contains("cannot reach the database at 127.0.0.1:1/raidbot"),
            "{e}"
        );
    } else {
        assert!(
            e.contains("pg_dump not found on PATH or under /usr/lib/postgresql/*/bin"),
            "{e}"
        );
    }
    assert!(!file.exists());
}

#[tokio::test]
async fn healthcheck_answers_for_a_running_api_which_stops_on_sigterm() {
    let t = TestDb::new().await;
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let bind = format!("127.0.0.1:{port}");
    let healthcheck = || {
        raidbot(&t.url)
            .arg("healthcheck")
            .env("API_BIND", &bind)
            .output()
            .unwrap()
    };
    // Nothing listening yet: one line, non-zero.
    let e = failure(&healthcheck());
    assert!(
        e.contains(&format!("cannot reach the API at {bind}")),
        "{e}"
    );

    let mut api = raidbot(&t.url)
        .arg("api")
        .env("API_BIND", &bind)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut healthy = None;
    for _ in 0..100 {
        let out = healthcheck();
        if out.status.success() {
            healthy = Some(out);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let out = healthy.expect("the API never became healthy");
    let body: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"]["status"], "up");

    let killed = Command::new("kill")
        .args(["-TERM", &api.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let started = std::time::Instant::now();
    let status = api.wait().unwrap();
    assert!(status.success(), "exit on SIGTERM: {status:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}

#[tokio::test]
async fn a_backup_waits_for_a_migration_in_progress() {
    use sqlx::migrate::Migrate as _;
    let t = TestDb::new().await;
    seed(&t).await;
    // Stand in for a raidbot migrating: hold the migrator's advisory lock.
    let mut migrating = PgConnection::connect(&t.url).await.unwrap();
    migrating.lock().await.unwrap();
    let dir = Dir::new("backup-lock");
    let file = dir.file("during-migration.dump");
    let mut backup = raidbot(&t.url)
        .args(["backup", "--to"])
        .arg(&file)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert!(
        backup.try_wait().unwrap().is_none(),
        "the backup did not wait"
    );
    assert!(!file.exists());
    migrating.unlock().await.unwrap();
    let out = tokio::task::spawn_blocking(move || backup.wait_with_output().unwrap())
        .await
        .unwrap();
    ok(&out);
    assert!(file.is_file());
    migrating.close().await.unwrap();
}
