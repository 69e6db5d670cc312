//! The `raidbot` binary as an operator meets it: its help, and start-up failures that end
//! with one clear line instead of a panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use store::testing::TestDb;

fn raidbot() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_raidbot"));
    // Run where no .env file is, with only what the test sets.
    c.current_dir(std::env::temp_dir());
    for var in [
        "DATABASE_URL",
        "DISCORD_TOKEN",
        "DISCORD_DEV_GUILD_ID",
        "API_BIND",
        "API_SERVICE_KEY",
        "DISCORD_API_BASE",
        "DISCORD_GATEWAY_URL",
        "LOG_FORMAT",
    ] {
        c.env_remove(var);
    }
    c
}

fn stderr_lines(out: &std::process::Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn help_lists_the_subcommands() {
    let out = raidbot().arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for sub in [
        "up",
        "migrate",
        "api",
        "bot",
        "register-commands",
        "backup",
        "restore",
        "healthcheck",
    ] {
        assert!(
            help.lines().any(|l| l.trim_start().starts_with(sub)),
            "{sub} missing:\n{help}"
        );
    }
}

#[test]
fn missing_token_is_one_line_naming_the_variable() {
    for sub in ["up", "bot", "register-commands"] {
        let out = raidbot().arg(sub).output().unwrap();
        assert!(!out.status.success(), "{sub} succeeded without a token");
        let lines = stderr_lines(&out);
        assert_eq!(lines.len(), 1, "{sub}: {lines:?}");
        assert!(
            lines[0].contains("DISCORD_TOKEN is not set"),
            "{sub}: {lines:?}"
        );
    }
}

#[test]
fn unreachable_database_is_one_line_naming_the_address() {
    let out = raidbot()
        .arg("migrate")
        .env("DATABASE_URL", "postgres://postgres@127.0.0.1:1/raidbot")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let lines = stderr_lines(&out);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].contains("cannot reach the database at 127.0.0.1:1/raidbot"),
        "{lines:?}"
    );
    assert!(!lines[0].contains("panicked"));
}

#[test]
fn a_malformed_setting_is_refused_before_anything_starts() {
    let out = raidbot()
        .arg("api")
        .env("API_BIND", "everywhere")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let lines = stderr_lines(&out);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with("error: API_BIND is invalid"),
        "{lines:?}"
    );
}

#[tokio::test]
async fn migrate_creates_the_database_and_is_safe_to_run_twice_at_once() {
    let t = TestDb::new().await;
    // A database that does not exist yet, on the same server.
    let url = format!("{}_fresh", t.url);
    let name = url.rsplit('/').next().unwrap().to_owned();
    let spawn = || {
        raidbot()
            .arg("migrate")
            .env("DATABASE_URL", &url)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(
        a.status.success() && b.status.success(),
        "{:?} {:?}",
        stderr_lines(&a),
        stderr_lines(&b)
    );
    let again = raidbot()
        .arg("migrate")
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout).contains("migrations applied"));
    let tables: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_database WHERE datname = $1")
        .bind(&name)
        .fetch_one(&t.pool)
        .await
        .unwrap();
    assert_eq!(tables, 1);
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&t.pool)
    .await
    .unwrap();
}

#[test]
fn realmeye_parse_prints_one_json_object() {
    let fixture = format!(
        "{}/../realmeye/tests/fixtures/found_description.html",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = raidbot()
        .args(["realmeye", "parse", &fixture])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["status"], "found");
    assert_eq!(v["name"], "Stormveil");
    assert_eq!(v["description"][1], "RAID-7F3K9Q");
    assert_eq!(v["profile"]["characters"], 6);

    let out = raidbot()
        .args(["realmeye", "parse", "/nonexistent/page.html"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(stderr_lines(&out).len(), 1);
}

fn stdout_lines(out: &std::process::Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

fn apikey(url: &str, args: &[&str]) -> std::process::Output {
    raidbot()
        .arg("apikey")
        .args(args)
        .env("DATABASE_URL", url)
        .output()
        .unwrap()
}

#[tokio::test]
async fn apikey_create_prints_the_key_alone_and_stores_only_its_hash() {
    let t = TestDb::new().await;
    let out = apikey(
        &t.url,
        &[
            "create",
            "--guild",
            "700000000000000001",
            "--level",
            "officer",
            "--label",
            "dashboard",
        ],
    );
    assert!(out.status.success(), "{:?}", stderr_lines(&out));
    let lines = stdout_lines(&out);
    let secret = lines.last().unwrap().trim().to_owned();
    assert!(
        secret.starts_with("rbk_") && !secret.contains(' '),
        "{lines:?}"
    );
    let (level, hash): (i16, Vec<u8>) =
        sqlx::query_as("SELECT level, key_hash FROM api_key WHERE label = 'dashboard'")
            .fetch_one(&t.pool)
            .await
            .unwrap();
    assert_eq!(level, 5);
    assert_eq!(hash, api::keys::hash(&secret).to_vec());
    let stored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM api_key WHERE key_hash = convert_to($1, 'UTF8')")
            .bind(&secret)
            .fetch_one(&t.pool)
            .await
            .unwrap();
    assert_eq!(stored, 0, "the secret itself is never stored");

    let listed = apikey(&t.url, &["list", "--guild", "700000000000000001"]);
    assert!(listed.status.success());
    let text = String::from_utf8_lossy(&listed.stdout);
    assert!(text.contains("dashboard") && text.contains("officer") && text.contains("active"));
    assert!(!text.contains(&secret));
}

#[tokio::test]
async fn apikey_bad_input_is_one_clear_line_and_creates_nothing() {
    let t = TestDb::new().await;
    for (args, says) in [
        (
            vec![
                "create", "--guild", "abc", "--level", "officer", "--label", "x",
            ],
            "--guild must be a Discord server id",
        ),
        (
            vec![
                "create",
                "--guild",
                "700000000000000001",
                "--level",
                "king",
                "--label",
                "x",
            ],
            "--level must be one of administrator, moderator",
        ),
        (
            vec![
                "create",
                "--guild",
                "700000000000000001",
                "--level",
                "officer",
                "--label",
                " ",
            ],
            "label must be 1 to 100 characters",
        ),
    ] {
        let out = apikey(&t.url, &args);
        assert!(!out.status.success(), "{args:?}");
        let lines = stderr_lines(&out);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(lines[0].contains(says), "{lines:?}");
    }
    let keys: i64 = sqlx::query_scalar("SELECT count(*) FROM api_key")
        .fetch_one(&t.pool)
        .await
        .unwrap();
    assert_eq!(keys, 0);
}

#[tokio::test]
async fn apikey_revoke_by_label_or_number_and_ambiguity_is_refused() {
    let t = TestDb::new().await;
    for guild in ["700000000000000001", "700000000000000002"] {
        let out = apikey(
            &t.url,
            &[
                "create", "--guild", guild, "--level", "security", "--label", "bot",
            ],
        );
        assert!(out.status.success(), "{:?}", stderr_lines(&out));
    }
    // The label names two keys: refused, nothing revoked.
    let out = apikey(&t.url, &["revoke", "bot"]);
    assert!(!out.status.success());
    assert!(stderr_lines(&out)[0].contains("2 active keys match"));
    // With --guild it is one.
    let out = apikey(&t.url, &["revoke", "bot", "--guild", "700000000000000002"]);
    assert!(out.status.success(), "{:?}", stderr_lines(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("revoked API key"));
    let (id,): (i64,) = sqlx::query_as(
        "SELECT key_id FROM api_key WHERE guild_id = 700000000000000001 AND revoked_at IS NULL",
    )
    .fetch_one(&t.pool)
    .await
    .unwrap();
    let out = apikey(&t.url, &["revoke", &id.to_string()]);
    assert!(out.status.success(), "{:?}", stderr_lines(&out));
    let active: i64 = sqlx::query_scalar("SELECT count(*) FROM api_key WHERE revoked_at IS NULL")
        .fetch_one(&t.pool)
        .await
        .unwrap();
    assert_eq!(active, 0);
    // Revoking again: nothing matches.
    let out = apikey(&t.url, &["revoke", &id.to_string()]);
    assert!(!out.status.success());
    assert!(stderr_lines(&out)[0].contains("no active API key"));
    let listed = apikey(&t.url, &["list", "--guild", "700000000000000001"]);
    assert!(String::from_utf8_lossy(&listed.stdout).contains("revoked"));
}

#[tokio::test]
async fn sessions_revoke_ends_one_persons_dashboard_sessions_or_everyones() {
    let t = TestDb::new().await;
    for (n, user) in [
        (1u8, 800000000000000001i64),
        (2, 800000000000000001),
        (3, 800000000000000002),
    ] {
        sqlx::query(
            "INSERT INTO web_session (session_hash, user_id, user_name, access_token, csrf_token,
                                      expires_at)
             VALUES ($1, $2, 'someone', 'token', 'csrf', now() + interval '1 day')",
        )
        .bind(vec![n; 32])
        .bind(user)
        .execute(&t.pool)
        .await
        .unwrap();
    }
    let run = |args: &[&str]| {
        raidbot()
            .args(["sessions", "revoke"])
            .args(args)
            .env("DATABASE_URL", &t.url)
            .output()
            .unwrap()
    };
    let running = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM web_session WHERE revoked_at IS NULL")
            .fetch_one(&t.pool)
            .await
            .unwrap()
    };
    let out = run(&["--user", "800000000000000001"]);
    assert!(out.status.success(), "{:?}", stderr_lines(&out));
    assert_eq!(
        stdout_lines(&out),
        ["ended 2 dashboard session(s) of user 800000000000000001"]
    );
    assert_eq!(running().await, 1);

    let out = run(&["--user", "abc"]);
    assert!(!out.status.success());
    assert!(
        stderr_lines(&out)
            .join("\n")
            .contains("--user takes a Discord user id")
    );
    let out = run(&[]);
    assert!(!out.status.success(), "--user or --all is required");
    assert_eq!(running().await, 1);

    let out = run(&["--all"]);
    assert!(out.status.success(), "{:?}", stderr_lines(&out));
    assert_eq!(stdout_lines(&out), ["ended 1 dashboard session(s)"]);
    assert_eq!(running().await, 0);
}
