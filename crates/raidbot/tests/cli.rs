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
    for sub in ["up", "migrate", "api", "bot", "register-commands"] {
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
