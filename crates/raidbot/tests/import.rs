//! `raidbot import console` against a source database built from the fixture schema (the
//! original bot's final tables) and seeded with a community's usual cases; checked table
//! by table, repeated, and with random point histories.

use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};

use proptest::prelude::*;
use raidbot::import::{self, Options, Report};
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};
use store::testing::TestDb;

const SCHEMA: &str = include_str!("fixtures/console/schema.sql");
const SEED: &str = include_str!("fixtures/console/seed.sql");

const G1: i64 = 111_111_111_111_111_111;
const G2: i64 = 222_222_222_222_222_222;
const ALICE: i64 = 300_000_000_000_000_001;
const BOB: i64 = 300_000_000_000_000_002;
const CARA: i64 = 300_000_000_000_000_003;
const FINN: i64 = 300_000_000_000_000_006;
const GUS: i64 = 300_000_000_000_000_007;
const WARDEN: i64 = 300_000_000_000_000_010;

/// A fresh database with the original bot's schema, dropped at the end of the test.
struct SourceDb {
    url: String,
    name: String,
    admin: PgConnectOptions,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

impl SourceDb {
    async fn new() -> SourceDb {
        let server = std::env::var("DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
        let admin = PgConnectOptions::from_str(&server)
            .expect("DATABASE_URL")
            .database("postgres");
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let name = format!(
            "console_source_{}_{}_{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let mut conn = PgConnection::connect_with(&admin).await.expect("server");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .expect("create source database");
        conn.close().await.ok();
        let url = format!(
            "postgres://{}@{}:{}/{name}",
            admin.get_username(),
            admin.get_host(),
            admin.get_port()
        );
        let db = SourceDb { url, name, admin };
        db.exec(SCHEMA).await;
        db
    }

    async fn exec(&self, sql: &str) {
        let mut conn = PgConnection::connect(&self.url).await.expect("source");
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(&mut conn)
            .await
            .expect("source SQL");
        conn.close().await.ok();
    }
}

impl Drop for SourceDb {
    fn drop(&mut self) {
        store::testing::drop_database(self.admin.clone(), self.name.clone());
    }
}

async fn run(db: &TestDb, src: &SourceDb, dry_run: bool) -> Report {
    let options = Options {
        from: src.url.clone(),
        guilds: Vec::new(),
        dry_run,
        progress: false,
    };
    import::console(&db.pool, &options).await.expect("import")
}

/// (source, imported, already, skipped, refused) of a table.
fn figures(report: &Report, guild: i64, table: &str) -> (u64, u64, u64, usize, usize) {
    let t = report
        .guild(guild)
        .and_then(|g| g.get(table))
        .unwrap_or_else(|| panic!("no {table} in the report of {guild}"));
    (
        t.source,
        t.imported,
        t.already,
        t.skipped.len(),
        t.refused.len(),
    )
}

fn refusal<'a>(report: &'a Report, guild: i64, table: &str, id: &str) -> &'a str {
    report
        .guild(guild)
        .and_then(|g| g.get(table))
        .and_then(|t| t.refused.iter().find(|(i, _)| i == id))
        .map(|(_, why)| why.as_str())
        .unwrap_or_else(|| panic!("{table} {id} was not refused:\n{report}"))
}

async fn scalar_i64(db: &TestDb, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(&db.pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Per member: (raider points, quota points) in hundredths, as raidbot's summaries
/// (folded sums plus pending deltas) give them for all time.
async fn member_totals(db: &TestDb, guild: i64) -> Vec<(i64, i64, i64)> {
    sqlx::query_as(
        "SELECT member_id,
                coalesce(sum(value) FILTER (WHERE metric = 1), 0)::bigint,
                coalesce(sum(value) FILTER (WHERE metric = 2), 0)::bigint
         FROM (SELECT member_id, metric, value FROM point_sum
               WHERE guild_id = $1 AND scope = 0 AND metric IN (1, 2)
               UNION ALL
               SELECT member_id, metric, delta FROM point_sum_delta
               WHERE guild_id = $1 AND scope = 0 AND metric IN (1, 2)) s
         GROUP BY member_id
         HAVING sum(value) FILTER (WHERE metric = 1) <> 0
             OR sum(value) FILTER (WHERE metric = 2) <> 0
         ORDER BY member_id",
    )
    .bind(guild)
    .fetch_all(&db.pool)
    .await
    .expect("member totals")
}

/// The original's own sums per member (its /stats: SUM(points), SUM(quota_points)).
async fn source_totals(src: &SourceDb, guild: i64) -> Vec<(i64, i64, i64)> {
    let mut conn = PgConnection::connect(&src.url).await.expect("source");
    let rows = sqlx::query_as(
        "SELECT actor_user_id, (sum(points) * 100)::bigint, (sum(quota_points) * 100)::bigint
         FROM quota_event WHERE guild_id = $1 GROUP BY actor_user_id
         HAVING sum(points) <> 0 OR sum(quota_points) <> 0 ORDER BY actor_user_id",
    )
    .bind(guild)
    .fetch_all(&mut conn)
    .await
    .expect("source totals");
    conn.close().await.ok();
    rows
}

/// Per member: keys popped as raidbot's stats and leaderboards count them for all time
/// (the keys-popped sums, folded plus pending).
async fn member_keys(db: &TestDb, guild: i64) -> Vec<(i64, i64)> {
    sqlx::query_as(
        "SELECT member_id, sum(value)::bigint FROM (
             SELECT member_id, value FROM point_sum
             WHERE guild_id = $1 AND scope = 0 AND metric = 5
             UNION ALL
             SELECT member_id, delta FROM point_sum_delta
             WHERE guild_id = $1 AND scope = 0 AND metric = 5) s
         GROUP BY member_id HAVING sum(value) <> 0 ORDER BY member_id",
    )
    .bind(guild)
    .fetch_all(&db.pool)
    .await
    .expect("member keys")
}

/// The original's own key counts per member (its /stats and keys leaderboard:
/// SUM(key_pop.count)).
async fn source_keys(src: &SourceDb, guild: i64) -> Vec<(i64, i64)> {
    let mut conn = PgConnection::connect(&src.url).await.expect("source");
    let rows = sqlx::query_as(
        "SELECT user_id, sum(count)::bigint FROM key_pop WHERE guild_id = $1
         GROUP BY user_id HAVING sum(count) <> 0 ORDER BY user_id",
    )
    .bind(guild)
    .fetch_all(&mut conn)
    .await
    .expect("source keys");
    conn.close().await.ok();
    rows
}

#[tokio::test]
async fn imports_a_community_table_by_table() {
    let db = TestDb::new().await;
    let src = SourceDb::new().await;
    src.exec(SEED).await;
    let report = run(&db, &src, false).await;
    let text = report.to_string();

    // Settings: what has an equivalent is mapped, the rest refused by name.
    assert_eq!(
        figures(&report, G1, "guild_role"),
        (7, 6, 0, 0, 1),
        "{text}"
    );
    assert!(refusal(&report, G1, "guild_role", "raid_leader").contains("no such role key"));
    assert_eq!(
        scalar_i64(&db, &format!("SELECT discord_role_id FROM guild_role WHERE guild_id = {G1} AND role_key = 'suspended'")).await,
        500_000_000_000_000_005
    );
    assert_eq!(figures(&report, G1, "guild_channel"), (6, 5, 0, 0, 1));
    assert!(refusal(&report, G1, "guild_channel", "memes").contains("no such channel key"));
    assert_eq!(figures(&report, G1, "dungeon_role_ping"), (3, 2, 0, 0, 1));
    assert_eq!(
        scalar_i64(&db, &format!("SELECT role_id FROM dungeon_role_ping WHERE guild_id = {G1} AND dungeon_code = 'sulfurous_wetlands'")).await,
        500_000_000_000_000_012
    );
    assert!(refusal(&report, G1, "dungeon_role_ping", "BOGUS_DUNGEON").contains("no such dungeon"));

    // The verification panel's text and image.
    assert_eq!(
        figures(&report, G1, "guild_verification_config"),
        (1, 1, 0, 0, 0)
    );
    let (message, image): (Option<String>, Option<String>) =
        sqlx::query_as("SELECT panel_message, image_url FROM veri_config WHERE guild_id = $1")
            .bind(G1)
            .fetch_one(&db.pool)
            .await
            .expect("verification settings");
    assert_eq!(message.as_deref(), Some("Verify to join our raids!"));
    assert_eq!(
        image.as_deref(),
        Some("https://cdn.discordapp.com/attachments/1/2/banner.png")
    );

    // Quota roles: values to the hundredth, moderation points, overrides, and the current
    // period starting where the original's did; an out-of-range value refused.
    const ORGANIZER_ROLE: i64 = 500_000_000_000_000_003;
    assert_eq!(
        figures(&report, G1, "quota_role_config"),
        (2, 1, 0, 0, 1),
        "{text}"
    );
    assert!(
        refusal(&report, G1, "quota_role_config", "500000000000000002")
            .contains("required points is 100000.00"),
        "{text}"
    );
    let (required, exalt, non_exalt, moderation): (i64, i64, i64, serde_json::Value) =
        sqlx::query_as(
            "SELECT required_points, exalt_points, non_exalt_points, moderation_points
             FROM quota_role WHERE guild_id = $1 AND role_id = $2",
        )
        .bind(G1)
        .bind(ORGANIZER_ROLE)
        .fetch_one(&db.pool)
        .await
        .expect("quota role");
    assert_eq!((required, exalt, non_exalt), (1250, 150, 75));
    assert_eq!(
        moderation,
        serde_json::json!({"verify": 25, "warn": 10, "modmail_reply": 5})
    );
    assert!(
        refusal(
            &report,
            G1,
            "quota_role_config.addnote_points",
            "500000000000000003"
        )
        .contains("0.20 points per note")
    );
    assert_eq!(
        figures(&report, G1, "quota_dungeon_override"),
        (2, 1, 0, 0, 1)
    );
    assert_eq!(
        scalar_i64(&db, &format!("SELECT points FROM quota_dungeon WHERE guild_id = {G1} AND role_id = {ORGANIZER_ROLE} AND dungeon_code = 'shatters'")).await,
        225
    );
    assert_eq!(
        scalar_i64(&db, &format!(
            "SELECT count(*) FROM point_period WHERE guild_id = {G1} AND scope_id = {ORGANIZER_ROLE}
               AND starts_at BETWEEN now() - interval '4 days 1 minute' AND now() - interval '4 days' + interval '1 minute'
               AND ends_at BETWEEN now() + interval '3 days' - interval '1 minute' AND now() + interval '3 days 1 minute'"
        )).await,
        1
    );
    assert_eq!(
        scalar_i64(&db, &format!("SELECT count(*) FROM job WHERE guild_id = {G1} AND kind = 'quota_rollover' AND state = 'pending'")).await,
        1
    );
    // Raider points: the original's 0 default, and its per-dungeon values.
    assert_eq!(
        figures(&report, G1, "raider_points_config"),
        (3, 3, 0, 0, 0)
    );
    assert_eq!(
        scalar_i64(
            &db,
            &format!(
                "SELECT completion_points + key_pop_points FROM point_config WHERE guild_id = {G1}"
            )
        )
        .await,
        0
    );
    let per_dungeon: Vec<(String, Option<i64>, Option<i64>)> = sqlx::query_as(
        "SELECT dungeon_code, completion_points, key_pop_points FROM point_dungeon
         WHERE guild_id = $1 ORDER BY dungeon_code",
    )
    .bind(G1)
    .fetch_all(&db.pool)
    .await
    .expect("point dungeons");
    assert_eq!(
        per_dungeon,
        vec![
            ("fungal_cavern".into(), Some(50), Some(125)),
            ("shatters".into(), Some(300), None),
        ]
    );

    // Members: verified with their names; conflicts and bad names refused, not merged.
    assert_eq!(figures(&report, G1, "raider"), (8, 6, 0, 0, 2), "{text}");
    assert!(
        refusal(&report, G1, "raider", &CARA.to_string())
            .contains(&format!("`STORMVEIL` is already held by member {ALICE}")),
        "{text}"
    );
    assert!(refusal(&report, G1, "raider", "300000000000000004").contains("Dan the 2nd"));
    assert_eq!(figures(&report, G1, "raider.alt_ign"), (2, 1, 0, 0, 1));
    assert!(refusal(&report, G1, "raider.alt_ign", &BOB.to_string()).contains("already held"));
    let names: Vec<(i64, String, bool)> = sqlx::query_as(
        "SELECT user_id, ign, is_main FROM member_ign WHERE guild_id = $1 ORDER BY ign_key",
    )
    .bind(G1)
    .fetch_all(&db.pool)
    .await
    .expect("names");
    assert_eq!(
        names,
        vec![
            (BOB, "Ember".into(), true),
            (FINN, "Finn".into(), true),
            (GUS, "Gusty".into(), true),
            (ALICE, "Stormveil".into(), true),
            (ALICE, "Veilstorm".into(), false),
            (WARDEN, "Warden".into(), true),
        ]
    );
    let statuses: Vec<(i64, String)> =
        sqlx::query_as("SELECT user_id, status FROM member WHERE guild_id = $1 ORDER BY user_id")
            .bind(G1)
            .fetch_all(&db.pool)
            .await
            .expect("members");
    assert!(statuses.contains(&(ALICE, "verified".into())));
    assert!(statuses.contains(&(FINN, "banned".into())));
    assert!(statuses.contains(&(300_000_000_000_000_005, "unverified".into())));
    assert!(!statuses.iter().any(|(u, _)| *u == CARA));
    // The member in two guilds is in both, with the same name.
    assert_eq!(figures(&report, G2, "raider"), (1, 1, 0, 0, 0));
    assert_eq!(
        scalar_i64(&db, &format!("SELECT count(*) FROM member_ign WHERE guild_id = {G2} AND user_id = {ALICE} AND ign = 'Stormveil'")).await,
        1
    );

    // Points: every row imported; each member's totals equal the original's sums exactly.
    assert_eq!(figures(&report, G1, "quota_event"), (11, 11, 0, 0, 0));
    for guild in [G1, G2] {
        assert_eq!(
            member_totals(&db, guild).await,
            source_totals(&src, guild).await
        );
        let g = report.guild(guild).expect("guild");
        assert!(g.points.matches(), "{text}");
    }
    assert_eq!(report.guild(G1).map(|g| g.points.source_raider), Some(1545));
    assert_eq!(report.guild(G1).map(|g| g.points.source_quota), Some(550));
    assert!(
        text.contains("raider points: source 15.45 / raidbot 15.45"),
        "{text}"
    );
    // Each event counts in the leaderboard period containing its time.
    assert_eq!(
        scalar_i64(&db, &format!(
            "SELECT count(*) FROM point_event e JOIN point_period p USING (guild_id, period_id)
             WHERE e.guild_id = {G1} AND NOT (p.starts_at <= e.created_at AND e.created_at < p.ends_at)"
        )).await,
        0
    );
    assert_eq!(
        scalar_i64(
            &db,
            &format!(
                "SELECT count(*) FROM point_event WHERE guild_id = {G1} AND period_id IS NULL"
            )
        )
        .await,
        0
    );
    // Kinds and counts: three logged runs, a verification at 0 points, two keys logged.
    assert_eq!(
        scalar_i64(&db, &format!("SELECT units::bigint FROM point_event WHERE guild_id = {G1} AND kind = 'run_logged'")).await,
        3
    );
    assert_eq!(
        scalar_i64(
            &db,
            &format!(
                "SELECT count(*) FROM point_event WHERE guild_id = {G1} AND kind = 'mod_verify'"
            )
        )
        .await,
        2
    );
    assert_eq!(
        scalar_i64(&db, &format!("SELECT units::bigint FROM point_event WHERE guild_id = {G1} AND kind = 'key_logged' AND starts_with(source, 'console:qe:')")).await,
        2
    );

    // Keys popped: the original's running totals; each member's key count in raidbot
    // (stats, leaderboards) equals the original's, per dungeon too. Alice's keys were
    // counted by the quota event that paid for them; the others' by a 0-point key event.
    assert_eq!(figures(&report, G1, "key_pop"), (4, 3, 1, 0, 0), "{text}");
    for guild in [G1, G2] {
        assert_eq!(
            member_keys(&db, guild).await,
            source_keys(&src, guild).await
        );
    }
    assert_eq!(
        member_keys(&db, G1).await,
        vec![(ALICE, 2), (BOB, 3), (GUS, 4), (WARDEN, 1)]
    );
    assert!(
        text.contains("keys popped: source 10 / raidbot 10 (equal)"),
        "{text}"
    );
    let key_events: Vec<(i64, Option<String>, i64, i32)> = sqlx::query_as(
        "SELECT member_id, dungeon_code, amount, units FROM point_event
         WHERE guild_id = $1 AND kind = 'key_logged' AND starts_with(source, 'console:kp:')
         ORDER BY member_id",
    )
    .bind(G1)
    .fetch_all(&db.pool)
    .await
    .expect("key events");
    assert_eq!(
        key_events,
        vec![
            (BOB, Some("fungal_cavern".into()), 0, 3),
            (GUS, None, 0, 4),
            (WARDEN, Some("shatters".into()), 0, 1),
        ]
    );

    // Custom role verifications: named from their source id, described by their texts.
    assert_eq!(
        figures(&report, G1, "custom_role_verification"),
        (3, 2, 0, 0, 1),
        "{text}"
    );
    assert!(
        refusal(&report, G1, "custom_role_verification", "2").contains("1600 characters"),
        "{text}"
    );
    let custom: Vec<(String, i64, Option<String>, i64)> = sqlx::query_as(
        "SELECT name, role_id, description, review_channel_id FROM veri_custom_role
         WHERE guild_id = $1 ORDER BY role_id",
    )
    .bind(G1)
    .fetch_all(&db.pool)
    .await
    .expect("custom roles");
    assert_eq!(
        custom,
        vec![
            (
                "Role verification 1".into(),
                500_000_000_000_000_050,
                Some(
                    "O3 carry\n\nPost a screenshot of your O3 completions.\n\n\
                     Example: https://cdn.discordapp.com/attachments/1/2/o3.png"
                        .into()
                ),
                600_000_000_000_000_051
            ),
            (
                "Role verification 3".into(),
                500_000_000_000_000_052,
                Some("Show your 8/8 gear.".into()),
                600_000_000_000_000_051
            ),
        ]
    );

    // The command log: raidbot's shape, with the original's times; DMs are not read.
    assert_eq!(
        figures(&report, G1, "command_log"),
        (4, 3, 0, 0, 1),
        "{text}"
    );
    assert!(refusal(&report, G1, "command_log", "4").contains("not a Discord user id"));
    let log: Vec<(i64, String, serde_json::Value, String, Option<String>, i32)> = sqlx::query_as(
        "SELECT user_id, command, options, outcome, error_code, latency_ms FROM command_log
             WHERE guild_id = $1 AND created_at < now() - interval '12 hours'
             ORDER BY created_at",
    )
    .bind(G1)
    .fetch_all(&db.pool)
    .await
    .expect("command log");
    assert_eq!(
        log,
        vec![
            (
                ALICE,
                "/run".into(),
                serde_json::json!({"dungeon": "shatters"}),
                "ok".into(),
                None,
                120
            ),
            (
                BOB,
                "/modmail".into(),
                serde_json::json!({"subcommand": "open"}),
                "refused".into(),
                Some("MISSING_PERMISSIONS".into()),
                40
            ),
            (
                WARDEN,
                "/stats".into(),
                serde_json::json!({}),
                "error".into(),
                Some("BACKEND_ERROR".into()),
                0
            ),
        ]
    );
    assert_eq!(figures(&report, G2, "command_log"), (1, 1, 0, 0, 0));

    // Punishments: states, actors and reasons kept; a timer for the running suspension only.
    assert_eq!(
        figures(&report, G1, "punishment"),
        (7, 5, 0, 0, 2),
        "{text}"
    );
    assert!(
        refusal(&report, G1, "punishment", "f6f6f6f6f6f6f6f6f6f6f6f6").contains("600 characters")
    );
    assert!(
        refusal(&report, G1, "punishment", "0707070707070707070707aa")
            .contains("already has a running suspension")
    );
    let punishments: Vec<(String, String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT p.kind, p.status, p.reason, p.actor, p.end_reason FROM punishment p
         JOIN import_source_key k ON k.guild_id = p.guild_id AND k.target_id = p.code
         WHERE p.guild_id = $1 ORDER BY k.source_id",
    )
    .bind(G1)
    .fetch_all(&db.pool)
    .await
    .expect("punishments");
    let warden = format!("user {WARDEN}");
    assert_eq!(
        punishments,
        vec![
            (
                "warn".into(),
                "active".into(),
                "late to the run three times".into(),
                warden.clone(),
                None
            ),
            (
                "warn".into(),
                "removed".into(),
                "leeching".into(),
                warden.clone(),
                Some("appealed".into())
            ),
            (
                "suspend".into(),
                "active".into(),
                "crashing runs".into(),
                warden.clone(),
                None
            ),
            (
                "suspend".into(),
                "expired".into(),
                "fake key".into(),
                warden.clone(),
                None
            ),
            (
                "mute".into(),
                "expired".into(),
                "spamming raid chat".into(),
                warden.clone(),
                None
            ),
        ]
    );
    let timers: Vec<(i64, bool)> = sqlx::query_as(
        "SELECT (j.payload->>'punishment_id')::bigint,
                abs(extract(epoch FROM j.due_at - p.expires_at)) < 1
         FROM job j JOIN punishment p ON p.guild_id = j.guild_id
              AND p.punishment_id = (j.payload->>'punishment_id')::bigint
         WHERE j.guild_id = $1 AND j.kind = 'punishment_expire' AND j.state = 'pending'",
    )
    .bind(G1)
    .fetch_all(&db.pool)
    .await
    .expect("timers");
    let finn_suspension = scalar_i64(
        &db,
        &format!("SELECT punishment_id FROM punishment WHERE guild_id = {G1} AND user_id = {FINN} AND status = 'active'"),
    )
    .await;
    assert_eq!(timers, vec![(finn_suspension, true)]);
    // No role is given again: the old bot applied it.
    assert_eq!(
        scalar_i64(&db, &format!("SELECT count(*) FROM job WHERE guild_id = {G1} AND kind IN ('punishment_apply', 'punishment_role')")).await,
        0
    );

    // Notes.
    assert_eq!(figures(&report, G1, "note"), (2, 1, 0, 0, 1));
    assert_eq!(
        scalar_i64(&db, &format!("SELECT count(*) FROM member_note WHERE guild_id = {G1} AND user_id = {BOB} AND body = 'often AFK in the realm' AND created_at < now() - interval '11 days'")).await,
        1
    );

    // Modmail: the closed ticket with its transcript (a long message kept whole in two
    // parts, the attachment kept); the open one skipped; the blacklist.
    assert_eq!(figures(&report, G1, "modmail_ticket"), (2, 1, 0, 1, 0));
    assert_eq!(figures(&report, G1, "modmail_message"), (4, 3, 0, 1, 0));
    let transcript: Vec<(String, String, Vec<String>)> = sqlx::query_as(
        "SELECT m.direction, m.body, m.attachments FROM modmail_message m
         JOIN modmail_ticket t USING (guild_id, ticket_id)
         WHERE t.guild_id = $1 AND t.user_id = $2 ORDER BY m.created_at, m.message_id",
    )
    .bind(G1)
    .bind(GUS)
    .fetch_all(&db.pool)
    .await
    .expect("transcript");
    assert_eq!(transcript.len(), 4);
    assert_eq!(
        transcript[0].2,
        vec!["https://cdn.discordapp.com/attachments/1/2/proof.png".to_owned()]
    );
    assert_eq!(transcript[1].0, "staff");
    assert_eq!(transcript[2].1.chars().count(), 1900);
    assert_eq!(
        transcript[2].1.chars().count() + transcript[3].1.chars().count(),
        2500
    );
    assert_eq!(
        scalar_i64(&db, &format!("SELECT count(*) FROM modmail_ticket WHERE guild_id = {G1} AND status = 'closed' AND close_done")).await,
        1
    );
    assert_eq!(
        figures(&report, G1, "raider.modmail_blacklist"),
        (1, 1, 0, 0, 0)
    );
    assert_eq!(
        scalar_i64(&db, &format!("SELECT count(*) FROM modmail_blacklist WHERE guild_id = {G1} AND user_id = {GUS} AND reason = 'spam in modmail'")).await,
        1
    );

    // The finished run with its raiders, classes and key reactions; nothing awarded again.
    let run_id = scalar_i64(
        &db,
        &format!("SELECT run_id FROM run WHERE guild_id = {G1} AND status = 'ended' AND dungeon_code = 'fungal_cavern' AND organizer_id = {WARDEN}"),
    )
    .await;
    let roster: Vec<(i64, String, Option<String>)> = sqlx::query_as(
        "SELECT user_id, state, class FROM run_participant WHERE guild_id = $1 AND run_id = $2
         ORDER BY user_id",
    )
    .bind(G1)
    .bind(run_id)
    .fetch_all(&db.pool)
    .await
    .expect("roster");
    assert_eq!(
        roster,
        vec![
            (ALICE, "joined".into(), Some("Warrior".into())),
            (BOB, "benched".into(), None),
            (CARA, "left".into(), Some("Wizard".into())),
        ]
    );
    assert_eq!(figures(&report, G1, "reaction"), (3, 3, 0, 0, 0));
    assert_eq!(figures(&report, G1, "key_reaction"), (2, 1, 0, 0, 1));
    assert_eq!(
        scalar_i64(&db, &format!("SELECT count(*) FROM run_reaction WHERE guild_id = {G1} AND run_id = {run_id} AND reaction = 'fungal_cavern_key' AND user_id = {ALICE}")).await,
        1
    );
    assert_eq!(
        scalar_i64(&db, &format!("SELECT count(*) FROM point_event WHERE guild_id = {G1} AND NOT starts_with(source, 'console:')")).await,
        0
    );

    // In progress in the old bot: reported with what to tell members, not imported.
    assert_eq!(figures(&report, G1, "run"), (3, 1, 0, 1, 1), "{text}");
    assert!(refusal(&report, G1, "run", "3").contains("no dungeon `BOGUS_DUNGEON`"));
    assert!(
        text.contains("open run: its panel belongs to the old bot"),
        "{text}"
    );
    assert_eq!(
        figures(&report, G1, "verification_session"),
        (1, 0, 0, 1, 0)
    );
    assert_eq!(
        figures(&report, G1, "custom_role_verification_session"),
        (1, 0, 0, 1, 0)
    );
    assert!(
        text.contains("custom role request in progress: the member asks again"),
        "{text}"
    );
}

#[tokio::test]
async fn running_again_imports_nothing_twice_and_later_only_new_rows() {
    let db = TestDb::new().await;
    let src = SourceDb::new().await;
    src.exec(SEED).await;
    let first = run(&db, &src, false).await;
    let count = |table: &'static str| {
        let pool = db.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!(
                "SELECT count(*) FROM {table}"
            )))
            .fetch_one(&pool)
            .await
            .expect("count")
        }
    };
    let tables = [
        "guild_role",
        "guild_channel",
        "dungeon_role_ping",
        "member",
        "member_ign",
        "point_event",
        "punishment",
        "member_note",
        "modmail_ticket",
        "modmail_message",
        "modmail_blacklist",
        "job",
        "import_source_key",
        "veri_custom_role",
        "command_log",
    ];
    let mut before = Vec::new();
    for t in tables {
        before.push(count(t).await);
    }

    let second = run(&db, &src, false).await;
    assert_eq!(second.imported(), 0, "{second}");
    for g in &first.guilds {
        for (table, t) in &g.tables {
            let again = second
                .guild(g.guild_id)
                .and_then(|s| s.get(table))
                .expect("table");
            assert_eq!(again.source, t.source, "{table}");
            // What was written is now "already"; refusals and skips come back unchanged.
            assert_eq!(again.already, t.imported + t.already, "{table}\n{second}");
            assert_eq!(again.refused, t.refused, "{table}");
        }
    }
    let mut after = Vec::new();
    for t in tables {
        after.push(count(t).await);
    }
    assert_eq!(before, after);
    for guild in [G1, G2] {
        assert_eq!(
            member_totals(&db, guild).await,
            source_totals(&src, guild).await
        );
        assert_eq!(
            member_keys(&db, guild).await,
            source_keys(&src, guild).await
        );
    }

    // New activity in the original; the third run imports exactly that.
    src.exec(&format!(
        "INSERT INTO member (id) VALUES (300000000000000020);
         INSERT INTO raider (guild_id, user_id, status, verified_at, ign)
             VALUES ({G1}, 300000000000000020, 'approved', now(), 'Newcomer');
         INSERT INTO quota_event (guild_id, actor_user_id, action_type, subject_id, points,
                                  quota_points)
             VALUES ({G1}, {BOB}, 'run_completed', 'raider:77:{BOB}', 0.05, 0),
                    ({G1}, {WARDEN}, 'run_completed', 'run:77', 0, 2.50);
         INSERT INTO punishment (id, guild_id, user_id, moderator_id, type, reason, expires_at)
             VALUES ('abcabcabcabcabcabcabcabc', {G1}, {GUS}, {WARDEN}, 'mute', 'caps',
                     now() + interval '1 hour');
         INSERT INTO note (id, guild_id, user_id, moderator_id, note_text)
             VALUES ('newnotenewnotenewnote001', {G1}, {GUS}, {WARDEN}, 'calmer now');
         UPDATE key_pop SET count = count + 2, last_popped_at = now()
             WHERE guild_id = {G1} AND user_id = {BOB};
         INSERT INTO command_log (guild_id, user_id, command_name)
             VALUES ('{G1}', '{GUS}', 'stats');"
    ))
    .await;
    let third = run(&db, &src, false).await;
    let g = third.guild(G1).expect("guild");
    let imported: Vec<(&str, u64)> = g
        .tables
        .iter()
        .filter(|(_, t)| t.imported > 0)
        .map(|(n, t)| (*n, t.imported))
        .collect();
    assert_eq!(
        imported,
        vec![
            ("raider", 1),
            ("quota_event", 2),
            ("key_pop", 1),
            ("punishment", 1),
            ("note", 1),
            ("command_log", 1)
        ],
        "{third}"
    );
    assert_eq!(
        third
            .guild(G2)
            .map(|g| g.tables.iter().map(|(_, t)| t.imported).sum::<u64>()),
        Some(0)
    );
    assert_eq!(member_totals(&db, G1).await, source_totals(&src, G1).await);
    assert_eq!(member_keys(&db, G1).await, source_keys(&src, G1).await);
    assert!(g.points.matches(), "{third}");
    assert_eq!(
        scalar_i64(&db, &format!("SELECT count(*) FROM job WHERE guild_id = {G1} AND kind = 'punishment_expire' AND state = 'pending'")).await,
        2
    );
}

#[tokio::test]
async fn two_imports_at_once_write_each_row_once() {
    let db = TestDb::new().await;
    let src = SourceDb::new().await;
    src.exec(SEED).await;
    let (a, b) = tokio::join!(run(&db, &src, false), run(&db, &src, false));
    // Between them they wrote what one import writes (each guild by whichever came first).
    let alone = run(&TestDb::new().await, &src, true).await;
    assert_eq!(a.imported() + b.imported(), alone.imported(), "{a}\n{b}");
    assert_eq!(
        scalar_i64(
            &db,
            &format!("SELECT count(*) FROM punishment WHERE guild_id = {G1}")
        )
        .await,
        5
    );
    assert_eq!(member_totals(&db, G1).await, source_totals(&src, G1).await);
}

#[tokio::test]
async fn a_dry_run_reports_the_same_and_writes_nothing() {
    let db = TestDb::new().await;
    let src = SourceDb::new().await;
    src.exec(SEED).await;
    let dry = run(&db, &src, true).await;
    assert!(dry.to_string().starts_with("dry run: nothing was written"));
    for table in [
        "import_source_key",
        "point_event",
        "member",
        "punishment",
        "job",
        "guild",
        "veri_custom_role",
        "command_log",
    ] {
        assert_eq!(
            scalar_i64(&db, &format!("SELECT count(*) FROM {table}")).await,
            0,
            "{table}"
        );
    }
    let real = run(&db, &src, false).await;
    for (g_dry, g_real) in dry.guilds.iter().zip(&real.guilds) {
        assert_eq!(g_dry.tables, g_real.tables);
        assert_eq!(g_dry.points, g_real.points);
    }
}

#[tokio::test]
async fn only_the_guilds_asked_for_are_imported() {
    let db = TestDb::new().await;
    let src = SourceDb::new().await;
    src.exec(SEED).await;
    let options = Options {
        from: src.url.clone(),
        guilds: vec![
            domain::Snowflake::from_db(G2).expect("id"),
            domain::Snowflake::from_db(333_333_333_333_333_333).expect("id"),
        ],
        dry_run: false,
        progress: false,
    };
    let report = import::console(&db.pool, &options).await.expect("import");
    assert_eq!(report.guilds.len(), 1);
    assert_eq!(report.unknown_guilds, vec![333_333_333_333_333_333]);
    assert_eq!(
        scalar_i64(
            &db,
            &format!("SELECT count(*) FROM member WHERE guild_id = {G1}")
        )
        .await,
        0
    );
    assert_eq!(
        scalar_i64(
            &db,
            &format!("SELECT count(*) FROM member WHERE guild_id = {G2}")
        )
        .await,
        1
    );
}

/// One random quota event: member, raider points and quota points in hundredths (within
/// DECIMAL(10,2)), days ago, and which kind of subject.
fn event() -> impl Strategy<Value = (usize, i64, i64, u32, usize)> {
    (
        0..4usize,
        -99_999i64..99_999,
        -99_999i64..99_999,
        0..800u32,
        0..6usize,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    #[test]
    fn point_totals_equal_the_originals_after_import(
        events in proptest::collection::vec(event(), 1..60),
    ) {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        rt.block_on(async {
            let db = TestDb::new().await;
            let src = SourceDb::new().await;
            let mut sql = format!(
                "INSERT INTO guild (id, name) VALUES ({G1}, 'g');
                 INSERT INTO member (id) SELECT 300000000000000001 + n FROM generate_series(0, 3) n;"
            );
            for (i, (m, points, quota, days, subject)) in events.iter().enumerate() {
                let member = 300_000_000_000_000_001 + *m as i64;
                let (action, subject) = match subject {
                    0 => ("run_completed", format!("'raider:{i}:{member}'")),
                    1 => ("run_completed", format!("'run:{i}'")),
                    2 => ("verify_member", "NULL".to_owned()),
                    3 => ("run_completed", format!("'manual_log_run:{i}:{member}:2'")),
                    4 => ("run_completed", format!("'key_pop:{i}:{member}:1'")),
                    _ => ("run_completed", format!("'manual_adjust:{i}:{member}'")),
                };
                sql.push_str(&format!(
                    "INSERT INTO quota_event (guild_id, actor_user_id, action_type, subject_id,
                         points, quota_points, created_at)
                     VALUES ({G1}, {member}, '{action}', {subject}, {points}::numeric / 100,
                             {quota}::numeric / 100, now() - interval '{days} days' - interval '{i} minutes');"
                ));
            }
            src.exec(&sql).await;
            let report = run(&db, &src, false).await;
            assert_eq!(member_totals(&db, G1).await, source_totals(&src, G1).await);
            let g = report.guild(G1).expect("guild");
            assert!(g.points.matches(), "{report}");
            assert_eq!(g.get("quota_event").map(|t| t.imported), Some(events.len() as u64));
        });
    }
}

/// The command as an operator runs it: the report on stdout; a source it cannot read is one
/// line on stderr and nothing is written.
#[tokio::test]
async fn the_command_prints_the_report() {
    let db = TestDb::new().await;
    let src = SourceDb::new().await;
    src.exec(SEED).await;
    let raidbot = || {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_raidbot"));
        c.current_dir(std::env::temp_dir())
            .env("DATABASE_URL", &db.url)
            .env("RUST_LOG", "off");
        c
    };
    let out = raidbot()
        .args(["import", "console", "--from", &src.url, "--dry-run"])
        .args(["--guild", &G2.to_string()])
        .output()
        .expect("run raidbot");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with("dry run: nothing was written"),
        "{stdout}"
    );
    assert!(stdout.contains(&format!("guild {G2}")), "{stdout}");
    assert!(
        stdout.contains("raider points: source 3.33 / raidbot 3.33"),
        "{stdout}"
    );
    assert!(!stdout.contains(&format!("guild {G1}")), "{stdout}");
    // Progress on stderr, a line per table as it finishes (plain lines: not a terminal);
    // the report on stdout has none of it.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("dry run of guild {G2}: importing")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "guild {G2}: raider: 1 in the source, 1 imported, 0 before, 0 skipped, 0 refused"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "guild {G2}: quota_event: 1 in the source, 1 imported"
        )),
        "{stderr}"
    );
    assert!(!stderr.contains('\r'), "{stderr}");
    assert!(!stdout.contains("in the source,"), "{stdout}");

    let out = raidbot()
        .args([
            "import",
            "console",
            "--from",
            "postgres://postgres@127.0.0.1:1/none",
        ])
        .output()
        .expect("run raidbot");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].contains("reading the original bot's database"),
        "{stderr}"
    );
    assert_eq!(
        scalar_i64(&db, "SELECT count(*) FROM import_source_key").await,
        0
    );
}

/// Figures for a large community (ignored by default; run with
/// `cargo test -p raidbot --test import -- --ignored --nocapture big_import`):
/// `IMPORT_BENCH_MEMBERS` members (a fifth with an alt, 1% of names taken twice) and
/// `IMPORT_BENCH_EVENTS` quota events in one guild. Prints the import's time; with
/// `IMPORT_BENCH_BINARY=1` it runs the `raidbot` binary under `/usr/bin/time` and prints
/// its peak memory too.
#[tokio::test]
#[ignore = "a benchmark: prints figures"]
async fn big_import() {
    let env = |name: &str, default: i64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let members = env("IMPORT_BENCH_MEMBERS", 5_000);
    let events = env("IMPORT_BENCH_EVENTS", 0);
    let db = TestDb::new().await;
    let src = SourceDb::new().await;
    // Letters only (an IGN): digits 0-9 → a-j.
    src.exec(&format!(
        "INSERT INTO guild (id, name) VALUES ({G1}, 'big');
         INSERT INTO member (id) SELECT 400000000000000000 + n FROM generate_series(1, {members}) n;
         INSERT INTO raider (guild_id, user_id, status, verified_at, created_at, ign, alt_ign)
         SELECT {G1}, 400000000000000000 + n, 'approved', now() - n * interval '1 minute',
                now() - n * interval '1 minute',
                'M' || translate(lpad((CASE WHEN n % 100 = 0 THEN n - 1 ELSE n END)::text, 7, '0'),
                                 '0123456789', 'abcdefghij'),
                CASE WHEN n % 5 = 0 THEN 'A' || translate(lpad(n::text, 7, '0'), '0123456789', 'abcdefghij') END
         FROM generate_series(1, {members}) n;
         INSERT INTO quota_event (guild_id, actor_user_id, action_type, subject_id, points,
                                  quota_points, created_at)
         SELECT {G1}, 400000000000000000 + 1 + n % {members}, 'run_completed',
                CASE WHEN n % 2 = 0 THEN 'raider:' || n ELSE 'run:' || n END,
                CASE WHEN n % 2 = 0 THEN 1.25 ELSE 0 END, CASE WHEN n % 2 = 1 THEN 0.5 ELSE 0 END,
                now() - (n % 700) * interval '1 day' - n * interval '1 second'
         FROM generate_series(1, {events}) n;
         ANALYZE;"
    ))
    .await;
    if std::env::var("IMPORT_BENCH_BINARY").is_ok() {
        let started = std::time::Instant::now();
        let out = std::process::Command::new("/usr/bin/time")
            .args(["-f", "peak %M KB, %e s"])
            .arg(env!("CARGO_BIN_EXE_raidbot"))
            .args(["import", "console", "--from", &src.url])
            .env("DATABASE_URL", &db.url)
            .env("RUST_LOG", "info")
            .current_dir(std::env::temp_dir())
            .output()
            .expect("run raidbot");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        println!("{}", String::from_utf8_lossy(&out.stdout));
        println!("{stderr}");
        println!(
            "binary: {members} members, {events} quota events in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        return;
    }
    let started = std::time::Instant::now();
    let report = run(&db, &src, false).await;
    println!("{report}");
    println!(
        "{members} members, {events} quota events imported in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(
        report
            .guild(G1)
            .and_then(|g| g.get("raider"))
            .map(|t| t.refused.len() as i64),
        Some(members / 100)
    );
}
