//! Growing past one PostgreSQL (issue 18): every table is distributed by guild (its primary
//! key starts with `guild_id`), a small reference table, or a person's table keyed by the
//! person; no foreign key joins two guilds' rows; and no SQL the code sends joins two
//! guilds' rows. Read from the catalogue of a freshly migrated database and from the
//! sources (docs/scaling.md says how this maps onto Citus).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "catalogue/joins.rs"]
mod joins;

use std::collections::HashSet;
use std::path::Path;

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

/// A person's, not a server's, each with the column its primary key starts with: the web
/// dashboard's sessions and logins under way span every server the person is in, and a
/// modmail DM conversation is the member's draft until it is sent (before then it may not
/// have a server; every read is by the user, from the DM router). Never joined with a
/// guild's rows and no foreign key to or from them; a distributed deployment keeps them on
/// the coordinator.
const PER_PERSON_TABLES: &[(&str, &str)] = &[
    ("web_login", "state_hash"),
    ("web_session", "session_hash"),
    ("modmail_session", "user_id"),
];

/// Every table of the migrated schema with the first column of its primary key.
async fn tables(db: &TestDb) -> Vec<(String, Option<String>)> {
    sqlx::query_as(
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
    .unwrap()
}

/// The tables distributed by guild: those whose primary key starts with `guild_id`.
async fn distributed(db: &TestDb) -> HashSet<String> {
    tables(db)
        .await
        .into_iter()
        .filter(|(_, first)| first.as_deref() == Some("guild_id"))
        .map(|(name, _)| name)
        .collect()
}

fn per_person() -> HashSet<String> {
    PER_PERSON_TABLES
        .iter()
        .map(|(t, _)| (*t).to_owned())
        .collect()
}

#[tokio::test]
async fn every_table_is_keyed_by_guild_or_a_reference_table() {
    let db = TestDb::new().await;
    let tables = tables(&db).await;
    assert!(tables.len() > 20, "the migrated schema is there");
    let offending: Vec<String> = tables
        .iter()
        .filter(|(name, first)| {
            let person_key = PER_PERSON_TABLES
                .iter()
                .find(|(t, _)| t == name)
                .map(|(_, key)| *key);
            match person_key {
                Some(key) => first.as_deref() != Some(key),
                None => {
                    first.as_deref() != Some("guild_id")
                        && !REFERENCE_TABLES.contains(&name.as_str())
                }
            }
        })
        .map(|(name, first)| format!("{name} (primary key starts with {first:?})"))
        .collect();
    assert!(
        offending.is_empty(),
        "tables neither keyed by guild_id first, nor reference tables, nor keyed by their \
         person: {offending:?}"
    );
    // The lists name tables that exist and are not keyed by guild (no stale exception).
    let listed = REFERENCE_TABLES
        .iter()
        .chain(PER_PERSON_TABLES.iter().map(|(t, _)| t));
    for table in listed {
        let first = tables
            .iter()
            .find(|(name, _)| name == table)
            .map(|(_, f)| f);
        assert!(first.is_some(), "{table} is listed but does not exist");
        assert_ne!(
            first.unwrap().as_deref(),
            Some("guild_id"),
            "{table} is keyed by guild: distribute it instead of listing it"
        );
    }
}

#[tokio::test]
async fn no_foreign_key_crosses_guilds() {
    let db = TestDb::new().await;
    let distributed = distributed(&db).await;
    // Every foreign key: its table, the referenced table, and whether it carries guild_id to
    // guild_id.
    let keys: Vec<(String, String, String, bool)> = sqlx::query_as(
        "SELECT con.conname::text, cl.relname::text, ref.relname::text,
                EXISTS (
                SELECT 1 FROM unnest(con.conkey, con.confkey) AS k(from_col, to_col)
                  JOIN pg_attribute fa ON fa.attrelid = con.conrelid AND fa.attnum = k.from_col
                  JOIN pg_attribute ta ON ta.attrelid = con.confrelid AND ta.attnum = k.to_col
                 WHERE fa.attname = 'guild_id' AND ta.attname = 'guild_id')
           FROM pg_constraint con
           JOIN pg_class cl ON cl.oid = con.conrelid
           JOIN pg_class ref ON ref.oid = con.confrelid
           JOIN pg_namespace n ON n.oid = cl.relnamespace
          WHERE con.contype = 'f' AND n.nspname = 'public'
          ORDER BY 1",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert!(keys.len() > 20, "the schema's foreign keys were read");
    let crossing: Vec<String> = keys
        .iter()
        .filter_map(|(name, from, to, guild_to_guild)| {
            let (df, dt) = (distributed.contains(from), distributed.contains(to));
            let why = if df && dt && !guild_to_guild {
                "does not carry guild_id to guild_id"
            } else if !df && dt {
                "points from a table not distributed by guild into one"
            } else if df && per_person().contains(to) {
                "points from a guild's table to a person's"
            } else {
                return None;
            };
            Some(format!("{name} ({from} -> {to}) {why}"))
        })
        .collect();
    assert!(
        crossing.is_empty(),
        "foreign keys that could join two guilds: {crossing:?}"
    );
}

/// Every SQL text of the crates that talk to PostgreSQL for the bot, the API and the web.
fn sources() -> Vec<joins::Sql> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    ["store/src", "service/src"]
        .iter()
        .flat_map(|dir| joins::sql_literals(&root.join(dir)))
        .collect()
}

#[tokio::test]
async fn no_query_joins_two_guilds() {
    let db = TestDb::new().await;
    let distributed = distributed(&db).await;
    assert!(distributed.contains("job") && distributed.contains("run"));
    let sqls = sources();
    assert!(
        sqls.len() > 300,
        "the sources' SQL was read: {}",
        sqls.len()
    );
    let mut joined = 0;
    let mut problems = Vec::new();
    for sql in &sqls {
        let verdict = joins::check(&sql.text, &distributed, &per_person());
        joined += verdict.joined;
        if let Some(why) = verdict.problem {
            problems.push(format!(
                "{}:{}: {why}\n  {}",
                sql.file,
                sql.line,
                sql.text.trim()
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{} statements join two guilds' rows:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(
        joined > 50,
        "joins between guild tables were checked: {joined}"
    );
}

/// `scripts/citus-distribute.sql` (docs/scaling.md) prints a call for every distributed
/// table, `guild` first and every referenced table before the tables referencing it.
#[tokio::test]
async fn the_distribution_script_covers_every_guild_table_in_order() {
    let db = TestDb::new().await;
    let distributed = distributed(&db).await;
    let calls: Vec<String> =
        sqlx::query_scalar(include_str!("../../../scripts/citus-distribute.sql"))
            .fetch_all(&db.pool)
            .await
            .unwrap();
    let order: Vec<String> = calls
        .iter()
        .map(|call| call.split('\'').nth(1).unwrap().to_owned())
        .collect();
    assert_eq!(
        order.first().map(String::as_str),
        Some("guild"),
        "{calls:?}"
    );
    assert_eq!(
        order.iter().cloned().collect::<HashSet<_>>(),
        distributed,
        "one call per distributed table"
    );
    assert_eq!(order.len(), distributed.len(), "no table twice");
    let references: Vec<(String, String)> = sqlx::query_as(
        "SELECT cl.relname::text, ref.relname::text
           FROM pg_constraint con
           JOIN pg_class cl ON cl.oid = con.conrelid
           JOIN pg_class ref ON ref.oid = con.confrelid
          WHERE con.contype = 'f' AND con.conrelid <> con.confrelid",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let at = |t: &str| order.iter().position(|o| o == t);
    for (from, to) in references {
        if let (Some(f), Some(t)) = (at(&from), at(&to)) {
            assert!(
                t < f,
                "{to} must be distributed before {from}, which references it"
            );
        }
    }
}

/// The checker itself, on planted statements: it must be able to fail.
mod checker {
    use super::joins::{check, string_literals};
    use std::collections::HashSet;

    fn problem(sql: &str) -> Option<String> {
        let distributed: HashSet<String> = ["run", "run_participant", "job", "member"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let people: HashSet<String> = ["modmail_session".to_owned()].into();
        check(sql, &distributed, &people).problem
    }

    #[test]
    fn a_join_on_another_column_only_crosses_guilds() {
        let bad = "SELECT r.run_id FROM run r JOIN run_participant p ON p.run_id = r.run_id
                    WHERE r.guild_id = $1";
        assert!(problem(bad).unwrap().contains("run and run_participant"));
        let bad_using =
            "SELECT 1 FROM run JOIN run_participant USING (run_id) WHERE run.guild_id = $1";
        assert!(problem(bad_using).is_some());
        let two_params = "SELECT 1 FROM run r, run_participant p
                           WHERE r.guild_id = $1 AND p.guild_id = $2 AND p.run_id = r.run_id";
        assert!(problem(two_params).is_some());
        let any = "SELECT 1 FROM run r JOIN member m ON m.user_id = r.leader_id
                    WHERE r.guild_id = ANY($1) AND m.guild_id = ANY($1)";
        assert!(problem(any).is_some());
    }

    #[test]
    fn a_join_that_equates_guild_id_is_one_guild() {
        for ok in [
            "SELECT 1 FROM run r JOIN run_participant p ON p.guild_id = r.guild_id
               AND p.run_id = r.run_id WHERE r.guild_id = $1",
            "SELECT 1 FROM run r JOIN run_participant p ON p.run_id = r.run_id
              WHERE r.guild_id = $1 AND p.guild_id = $1",
            "SELECT 1 FROM run JOIN run_participant USING (guild_id, run_id) WHERE guild_id = $1",
            "SELECT 1 FROM run r WHERE r.guild_id = $1 AND NOT EXISTS (
                SELECT 1 FROM run_participant p WHERE p.guild_id = r.guild_id AND p.run_id = r.run_id)",
            "SELECT 1 FROM run WHERE guild_id = $1 UNION ALL SELECT 1 FROM member WHERE guild_id = $2",
            "INSERT INTO job (guild_id, kind) SELECT guild_id, 'x' FROM run WHERE guild_id = $1",
        ] {
            assert_eq!(problem(ok), None, "{ok}");
        }
    }

    #[test]
    fn subqueries_and_derived_tables_are_joins_too() {
        let bad_exists = "SELECT 1 FROM run r WHERE r.guild_id = $1 AND EXISTS (
                SELECT 1 FROM run_participant p WHERE p.run_id = r.run_id)";
        assert!(problem(bad_exists).is_some());
        let bad_in = "SELECT 1 FROM run WHERE guild_id = $1
                       AND run_id IN (SELECT run_id FROM run_participant WHERE guild_id = $2)";
        assert!(problem(bad_in).is_some());
        let bad_derived =
            "UPDATE job SET state = 'running' FROM (SELECT job_id FROM job j LIMIT 5) c
                            WHERE job.job_id = c.job_id";
        assert!(problem(bad_derived).is_some());
        let good_derived = "UPDATE job SET state = 'running'
                 FROM (SELECT guild_id, job_id FROM job j WHERE NOT EXISTS (
                          SELECT 1 FROM job r WHERE r.guild_id = j.guild_id) LIMIT 5) c
                 WHERE job.guild_id = c.guild_id AND job.job_id = c.job_id";
        assert_eq!(problem(good_derived), None);
        let cte = "WITH g AS (SELECT guild_id, run_id FROM run WHERE guild_id = $1)
                   SELECT 1 FROM g JOIN run_participant p ON p.guild_id = g.guild_id";
        assert_eq!(problem(cte), None);
    }

    #[test]
    fn a_persons_table_is_never_joined_with_a_guilds() {
        let bad = "SELECT 1 FROM modmail_session s JOIN member m ON m.guild_id = s.guild_id
                    AND m.user_id = s.user_id";
        assert!(problem(bad).unwrap().contains("per-person"));
        assert_eq!(
            problem("SELECT 1 FROM modmail_session WHERE user_id = $1"),
            None
        );
    }

    #[test]
    fn literals_are_read_from_rust_sources() {
        let src = r###"
            // "SELECT not this" in a comment
            fn f<'a>(x: &'a str) -> char { let c = '"'; sqlx::query("SELECT a \
                FROM run WHERE x = '\"'"); concat!("SELECT 1", " FROM run");
                sqlx::query(r#"DELETE FROM "run""#); 'x' }
        "###;
        let texts: Vec<String> = string_literals(src).into_iter().map(|(_, t)| t).collect();
        assert!(
            texts.contains(&"SELECT a FROM run WHERE x = '\"'".to_owned()),
            "{texts:?}"
        );
        assert!(
            texts.contains(&"SELECT 1  FROM run".to_owned()),
            "{texts:?}"
        );
        assert!(
            texts.contains(&"DELETE FROM \"run\"".to_owned()),
            "{texts:?}"
        );
        assert!(!texts.iter().any(|t| t.contains("not this")), "{texts:?}");
    }
}
