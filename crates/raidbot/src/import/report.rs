//! What an import did, per guild and per source table: how many rows the source holds,
//! how many were imported, how many had been imported before, which were skipped on
//! purpose (with what to tell members) and which were refused (with the reason and the
//! source row's id, for staff to fix and import again).

use std::collections::BTreeMap;
use std::fmt;

/// One source table's figures in one guild.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TableReport {
    pub source: u64,
    pub imported: u64,
    pub already: u64,
    /// (source id, why): not imported on purpose.
    pub skipped: Vec<(String, String)>,
    /// (source id, why): could not be mapped.
    pub refused: Vec<(String, String)>,
}

impl TableReport {
    pub fn skip(&mut self, id: impl Into<String>, why: impl Into<String>) {
        self.skipped.push((id.into(), why.into()));
    }
    pub fn refuse(&mut self, id: impl Into<String>, why: impl Into<String>) {
        self.refused.push((id.into(), why.into()));
    }
}

/// The source's sums next to raidbot's after the import (hundredths).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PointCheck {
    pub source_raider: i64,
    pub source_quota: i64,
    pub imported_raider: i64,
    pub imported_quota: i64,
    /// Keys popped: the source's `SUM(key_pop.count)` and raidbot's count of the imported
    /// key events.
    pub source_keys: i64,
    pub imported_keys: i64,
}

impl PointCheck {
    pub fn matches(&self) -> bool {
        self.source_raider == self.imported_raider
            && self.source_quota == self.imported_quota
            && self.source_keys == self.imported_keys
    }
}

#[derive(Debug, Default, Clone)]
pub struct GuildReport {
    pub guild_id: i64,
    /// By source table name, in the order the import runs them.
    pub tables: Vec<(&'static str, TableReport)>,
    pub points: PointCheck,
}

impl GuildReport {
    pub fn new(guild_id: i64) -> GuildReport {
        GuildReport {
            guild_id,
            ..GuildReport::default()
        }
    }

    /// The report of `table` (created on first use).
    pub fn table(&mut self, table: &'static str) -> &mut TableReport {
        let at = match self.tables.iter().position(|(t, _)| *t == table) {
            Some(at) => at,
            None => {
                self.tables.push((table, TableReport::default()));
                self.tables.len() - 1
            }
        };
        &mut self.tables[at].1
    }

    pub fn get(&self, table: &str) -> Option<&TableReport> {
        self.tables
            .iter()
            .find(|(t, _)| *t == table)
            .map(|(_, r)| r)
    }
}

#[derive(Debug, Default, Clone)]
pub struct Report {
    pub dry_run: bool,
    pub guilds: Vec<GuildReport>,
    /// `--guild` ids the source does not have.
    pub unknown_guilds: Vec<i64>,
}

impl Report {
    pub fn guild(&self, guild_id: i64) -> Option<&GuildReport> {
        self.guilds.iter().find(|g| g.guild_id == guild_id)
    }

    /// Rows imported in all guilds and tables.
    pub fn imported(&self) -> u64 {
        self.guilds
            .iter()
            .flat_map(|g| g.tables.iter())
            .map(|(_, t)| t.imported)
            .sum()
    }
}

/// Hundredths as a decimal number of points: 12345 → "123.45".
pub fn hundredths(v: i64) -> String {
    let sign = if v < 0 { "-" } else { "" };
    format!(
        "{sign}{}.{:02}",
        v.unsigned_abs() / 100,
        v.unsigned_abs() % 100
    )
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.dry_run {
            writeln!(f, "dry run: nothing was written")?;
        }
        for g in &self.unknown_guilds {
            writeln!(f, "guild {g}: not in the source database")?;
        }
        for g in &self.guilds {
            writeln!(f, "guild {}", g.guild_id)?;
            let w = g
                .tables
                .iter()
                .map(|(n, _)| n.len())
                .max()
                .unwrap_or(0)
                .max(12);
            writeln!(
                f,
                "  {:<w$} {:>8} {:>8} {:>8} {:>8} {:>8}",
                "source table", "source", "imported", "already", "skipped", "refused"
            )?;
            for (name, t) in &g.tables {
                writeln!(
                    f,
                    "  {:<w$} {:>8} {:>8} {:>8} {:>8} {:>8}",
                    name,
                    t.source,
                    t.imported,
                    t.already,
                    t.skipped.len(),
                    t.refused.len()
                )?;
            }
            let p = &g.points;
            writeln!(
                f,
                "  raider points: source {} / raidbot {}; quota points: source {} / raidbot {}; \
                 keys popped: source {} / raidbot {}{}",
                hundredths(p.source_raider),
                hundredths(p.imported_raider),
                hundredths(p.source_quota),
                hundredths(p.imported_quota),
                p.source_keys,
                p.imported_keys,
                if p.matches() {
                    " (equal)"
                } else {
                    " (DIFFERENT)"
                }
            )?;
            // Skips said once per reason (open runs can be many), refusals one per row.
            for (name, t) in &g.tables {
                let mut reasons: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
                for (id, why) in &t.skipped {
                    reasons.entry(why).or_default().push(id);
                }
                for (why, ids) in reasons {
                    writeln!(f, "  skipped {name} {}: {why}", ids.join(", "))?;
                }
            }
            for (name, t) in &g.tables {
                for (id, why) in &t.refused {
                    writeln!(f, "  refused {name} {id}: {why}")?;
                }
            }
        }
        Ok(())
    }
}
