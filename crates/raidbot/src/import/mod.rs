//! `raidbot import console`: brings a community's data over from the original TypeScript
//! bot's PostgreSQL database (GitHub `sjkd23/console`), exactly and repeatably.
//!
//! The source is read in one read-only snapshot; each guild is written in one transaction
//! (all of it or nothing); every source row written is recorded in `import_source_key`, so a
//! second run writes nothing twice and a later run writes only what is new in the source.
//! One module per source table family; rows that cannot be mapped are listed in the
//! [`Report`] with the reason and the source row's id, never silently changed.

mod commands;
mod config;
mod custom_roles;
mod key_pops;
mod members;
mod moderation;
mod modmail;
mod points;
pub mod progress;
mod quota_config;
pub mod report;
mod runs;
pub mod source;

use std::collections::HashSet;

use anyhow::Context;
use domain::Snowflake;
use store::import::CONSOLE;
use store::{PgConnection, PgPool};

use progress::Progress;
pub use report::{GuildReport, PointCheck, Report, TableReport};
use source::{Source, SourceDb};

/// What to import.
#[derive(Debug, Clone)]
pub struct Options {
    /// The original bot's database URL.
    pub from: String,
    /// Only these guilds (empty: all).
    pub guilds: Vec<Snowflake>,
    /// Do everything, print the report, then roll back.
    pub dry_run: bool,
    /// Show progress on stderr (a line per table, a bar for large ones on a terminal).
    pub progress: bool,
}

/// Imports every guild of the source (or those asked for) and returns the report.
pub async fn console(target: &PgPool, options: &Options) -> anyhow::Result<Report> {
    let filter: Vec<i64> = options.guilds.iter().map(|g| g.db()).collect();
    let progress = Progress::new(options.progress);
    let mut src = source::open(&options.from)
        .await
        .context("reading the original bot's database")?;
    let source = src
        .read(&filter)
        .await
        .context("reading the original bot's database")?;
    let mut report = Report {
        dry_run: options.dry_run,
        unknown_guilds: filter
            .iter()
            .copied()
            .filter(|g| !source.guilds.contains(g))
            .collect(),
        ..Report::default()
    };
    for &guild in &source.guilds {
        let started = std::time::Instant::now();
        progress.guild(guild, options.dry_run);
        let g = import_guild(target, &mut src, &source, guild, options.dry_run, &progress)
            .await
            .with_context(|| format!("importing guild {guild} (nothing of it was written)"))?;
        tracing::info!(
            guild,
            rows = g.tables.iter().map(|(_, t)| t.imported).sum::<u64>(),
            seconds = started.elapsed().as_secs_f64(),
            "guild imported"
        );
        report.guilds.push(g);
    }
    src.close()
        .await
        .context("reading the original bot's database")?;
    Ok(report)
}

async fn import_guild(
    target: &PgPool,
    src: &mut SourceDb,
    source: &Source,
    guild: i64,
    dry_run: bool,
    progress: &Progress,
) -> anyhow::Result<GuildReport> {
    let gid = Snowflake::from_db(guild)?;
    let mut report = GuildReport::new(guild);
    let mut tx = target.begin().await?;
    store::import::lock_guild(&mut tx, gid).await?;
    store::guild_config::ensure_guild(&mut tx, gid).await?;
    let mark = progress.mark(&report);
    config::import(&mut tx, gid, source, &mut report).await?;
    custom_roles::import(&mut tx, gid, source, &mut report).await?;
    let quota_roles = quota_config::import(&mut tx, gid, source, &mut report).await?;
    progress.tables_done(guild, &report, &mark);

    let mark = progress.mark(&report);
    let mut member_keys = members::MemberKeys::load(&mut tx, gid).await?;
    let raiders: Vec<_> = source
        .raiders
        .iter()
        .filter(|r| r.guild_id == guild)
        .collect();
    let mut bar = progress.bar(guild, "raider", raiders.len() as u64);
    for chunk in raiders.chunks(members::BATCH) {
        members::import(&mut tx, gid, chunk, &mut member_keys, &mut report).await?;
        bar.advance(chunk.len() as u64);
    }
    member_keys.save(&mut tx, gid).await?;
    progress.tables_done(guild, &report, &mark);

    let mark = progress.mark(&report);
    points::import(&mut tx, gid, src, source, &mut report, progress).await?;
    key_pops::import(&mut tx, gid, source, &mut report).await?;
    progress.tables_done(guild, &report, &mark);

    let mark = progress.mark(&report);
    runs::import(&mut tx, gid, source, &mut report).await?;
    moderation::import(&mut tx, gid, source, &mut report).await?;
    modmail::import(&mut tx, gid, source, &mut report).await?;
    in_progress(source, guild, &mut report);
    progress.tables_done(guild, &report, &mark);

    let mark = progress.mark(&report);
    commands::import(&mut tx, gid, src, &mut report, progress).await?;
    progress.tables_done(guild, &report, &mark);
    if dry_run {
        tx.rollback().await?;
        return Ok(report);
    }
    tx.commit().await?;
    // Start the imported quota roles' period timers and panels as /configquota does.
    let actor = service::Actor {
        user_id: None,
        level: domain::Level::ADMINISTRATOR,
        label: "raidbot import".to_owned(),
    };
    for role in quota_roles {
        service::quota::configure_quota_role(
            target,
            gid,
            &actor,
            role,
            None,
            service::quota::QuotaChange::Touch,
        )
        .await
        .with_context(|| format!("starting the period timer of quota role {role}"))?;
    }
    Ok(report)
}

/// Open runs and verification sessions are not imported: their panels and DMs belong to
/// the old bot. (Finished runs are imported by `runs`.)
fn in_progress(source: &Source, guild: i64, report: &mut GuildReport) {
    let runs = report.table("run");
    for r in source
        .runs
        .iter()
        .filter(|r| r.guild_id == guild && r.what != "ended")
    {
        runs.source += 1;
        runs.skip(
            &r.id,
            "open run: its panel belongs to the old bot; the organizer posts it again with \
             /run and raiders join there",
        );
    }
    let sessions = report.table("verification_session");
    for s in source
        .verification_sessions
        .iter()
        .filter(|s| s.guild_id == guild)
    {
        sessions.source += 1;
        sessions.skip(
            format!("user {}", s.id),
            "verification in progress: the member presses raidbot's verification panel again",
        );
    }
    let custom = report.table("custom_role_verification_session");
    for s in source
        .custom_role_sessions
        .iter()
        .filter(|s| s.guild_id == guild)
    {
        custom.source += 1;
        custom.skip(
            &s.id,
            "custom role request in progress: the member asks again on raidbot's panel",
        );
    }
}

/// The source ids of `table` imported before, and the keys this run adds.
pub(crate) struct Keys {
    table: &'static str,
    done: HashSet<String>,
    new: Vec<(String, Option<String>)>,
}

impl Keys {
    pub(crate) async fn load(
        conn: &mut PgConnection,
        guild: Snowflake,
        table: &'static str,
    ) -> anyhow::Result<Keys> {
        Ok(Keys {
            table,
            done: store::import::imported_ids(conn, guild, CONSOLE, table).await?,
            new: Vec::new(),
        })
    }

    pub(crate) fn seen(&self, id: &str) -> bool {
        self.done.contains(id)
    }

    pub(crate) fn add(&mut self, id: impl Into<String>, target: Option<String>) {
        let id = id.into();
        self.done.insert(id.clone());
        self.new.push((id, target));
    }

    pub(crate) async fn save(
        self,
        conn: &mut PgConnection,
        guild: Snowflake,
    ) -> anyhow::Result<()> {
        store::import::record(conn, guild, CONSOLE, self.table, &self.new).await?;
        Ok(())
    }
}

/// How raidbot labels a Discord user who did something (as a live action would).
pub(crate) fn user_label(id: i64) -> String {
    format!("user {id}")
}

/// The raidbot dungeon code of an original dungeon key (`FUNGAL_CAVERN`, `fungal_cavern`,
/// `Moonlight Village`), if raidbot's catalog has it.
pub(crate) fn dungeon_code(key: &str) -> Option<String> {
    let code = key.trim().to_ascii_lowercase().replace([' ', '-'], "_");
    let code = match code.as_str() {
        "wetlands_key" | "wetlands" => "sulfurous_wetlands".to_owned(),
        "o3" => "oryx_3".to_owned(),
        _ => code,
    };
    domain::catalog::catalog()
        .dungeon(&code)
        .map(|d| d.code.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dungeon_keys_of_the_original_map_to_raidbot_codes() {
        assert_eq!(
            dungeon_code("FUNGAL_CAVERN").as_deref(),
            Some("fungal_cavern")
        );
        assert_eq!(
            dungeon_code("WETLANDS_KEY").as_deref(),
            Some("sulfurous_wetlands")
        );
        assert_eq!(
            dungeon_code("Moonlight Village").as_deref(),
            Some("moonlight_village")
        );
        assert_eq!(dungeon_code("NOT_A_DUNGEON"), None);
    }
}
