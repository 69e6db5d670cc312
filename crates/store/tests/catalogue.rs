//! Growing past one PostgreSQL (issue 18): every table is distributed by guild (its primary
//! key starts with `guild_id`) or is a small reference table, and no foreign key joins two
//! guilds' rows. Read from the catalogue of a freshly migrated database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use store::testing::TestDb;

/// Small tables not per guild: a distributed deployment replicates them to every node.
const REFERENCE_TABLES: &[&str] = &[
    "_sqlx_migrations",
    // Gateway shards: one row per identify bucket and per shard.
    "gateway_identify_bucket",
    "gateway_session",
    // Discord's HTTP rate limits shared by the processes: the global limit and route buckets.
    "discord_rate_limit",
];

/// A person's, not a server's: the web dashboard's sessions and logins under way span every
/// server the person is in. Small and never joined with a guild's rows; a distributed
/// deployment keeps them as local tables on the coordinator.
const PER_PERSON_TABLES: &[&str] = &["web_login", "web_session"];

/// Known exceptions, to be fixed (docs/STATUS.md, issue 18): the outbox keys jobs by a
/// global id (it has a `guild_id` column), and a modmail DM session belongs to a user
/// before a guild is chosen.
const NOT_YET_BY_GUILD: &[&str] = &["job", "modmail_session"];

#[tokio::test]
async fn every_table_is_keyed_by_guild_or_a_reference_table() {
    let db = TestDb::new().await;
    let tables: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT c.relname::text,
                (SELECT a.attname::text FROM pg_attribute a
                  WHERE a.attrelid = c.oid AND a.attnum = i.indkey[0])
           FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace
           LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
          WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
          ORDER BY 1",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert!(tables.len() > 20, "the migrated schema is there");
    let offending: Vec<String> = tables
        .iter()
        .filter(|(name, first)| {
            first.as_deref() != Some("guild_id")
                && !REFERENCE_TABLES.contains(&name.as_str())
                && !NOT_YET_BY_GUILD.contains(&name.as_str())
                && !PER_PERSON_TABLES.contains(&name.as_str())
        })
        .map(|(name, first)| format!("{name} (primary key starts with {first:?})"))
        .collect();
    assert!(
        offending.is_empty(),
        "tables neither keyed by guild_id first nor listed as reference tables: {offending:?}"
    );
}

#[tokio::test]
async fn no_foreign_key_crosses_guilds() {
    let db = TestDb::new().await;
    // Every foreign key from a table with a guild_id must carry guild_id to guild_id.
    let crossing: Vec<(String, String)> = sqlx::query_as(
        "SELECT con.conname::text, cl.relname::text
           FROM pg_constraint con
           JOIN pg_class cl ON cl.oid = con.conrelid
           JOIN pg_namespace n ON n.oid = cl.relnamespace
          WHERE con.contype = 'f' AND n.nspname = 'public'
            AND EXISTS (SELECT 1 FROM pg_attribute a
                         WHERE a.attrelid = con.conrelid AND a.attname = 'guild_id')
            AND NOT EXISTS (
                SELECT 1 FROM unnest(con.conkey, con.confkey) AS k(from_col, to_col)
                  JOIN pg_attribute fa ON fa.attrelid = con.conrelid AND fa.attnum = k.from_col
                  JOIN pg_attribute ta ON ta.attrelid = con.confrelid AND ta.attnum = k.to_col
                 WHERE fa.attname = 'guild_id' AND ta.attname = 'guild_id')
          ORDER BY 1",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert!(
        crossing.is_empty(),
        "foreign keys that could join two guilds: {crossing:?}"
    );
    let total: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_constraint con JOIN pg_namespace n ON n.oid = con.connamespace
          WHERE con.contype = 'f' AND n.nspname = 'public'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(total > 20, "the schema's foreign keys were read");
}
