//! Progress of a running import on stderr (the report goes to stdout): a line per source
//! table with its figures as each finishes, and for the large tables a bar while they
//! are read (on a terminal) or a line every tenth (otherwise, e.g. in a log file).

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use super::report::{GuildReport, TableReport};

/// Where progress goes; silent when the import is run as a library (tests).
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    enabled: bool,
    tty: bool,
}

impl Progress {
    pub fn new(enabled: bool) -> Progress {
        Progress {
            enabled,
            tty: enabled && std::io::stderr().is_terminal(),
        }
    }

    fn line(&self, text: &str) {
        if !self.enabled {
            return;
        }
        let mut err = std::io::stderr().lock();
        if self.tty {
            // Clear a bar drawn on this line.
            let _ = write!(err, "\r\x1b[2K");
        }
        let _ = writeln!(err, "{text}");
    }

    /// Says a guild starts.
    pub fn guild(&self, guild: i64, dry_run: bool) {
        let what = if dry_run { "dry run of guild" } else { "guild" };
        self.line(&format!("{what} {guild}: importing"));
    }

    /// Prints the figures of the tables `report` gained or changed since `mark` (see
    /// [`Progress::mark`]).
    pub fn tables_done(&self, guild: i64, report: &GuildReport, mark: &Mark) {
        for (name, t) in &report.tables {
            let before = mark.0.iter().find(|(n, _)| n == name).map(|(_, t)| t);
            if before != Some(t) {
                self.line(&table_line(guild, name, t));
            }
        }
    }

    /// The tables' figures now, to tell later which an area touched.
    pub fn mark(&self, report: &GuildReport) -> Mark {
        Mark(if self.enabled {
            report.tables.clone()
        } else {
            Vec::new()
        })
    }

    /// A bar for reading `total` rows of `table`.
    pub fn bar(&self, guild: i64, table: &'static str, total: u64) -> Bar {
        Bar {
            progress: *self,
            guild,
            table,
            total,
            done: 0,
            drawn_at: None,
            tenths: 0,
        }
    }
}

/// The figures of a guild's tables at one moment.
pub struct Mark(Vec<(&'static str, TableReport)>);

fn table_line(guild: i64, name: &str, t: &TableReport) -> String {
    format!(
        "guild {guild}: {name}: {} in the source, {} imported, {} before, {} skipped, {} refused",
        t.source,
        t.imported,
        t.already,
        t.skipped.len(),
        t.refused.len()
    )
}

/// Rows of one table read so far.
pub struct Bar {
    progress: Progress,
    guild: i64,
    table: &'static str,
    total: u64,
    done: u64,
    drawn_at: Option<Instant>,
    tenths: u64,
}

const WIDTH: u64 = 30;

impl Bar {
    pub fn advance(&mut self, rows: u64) {
        self.done += rows;
        let p = self.progress;
        if !p.enabled || self.total == 0 {
            return;
        }
        let done = self.done.min(self.total);
        if p.tty {
            if self
                .drawn_at
                .is_some_and(|t| t.elapsed() < Duration::from_millis(100))
                && done < self.total
            {
                return;
            }
            self.drawn_at = Some(Instant::now());
            let filled = done * WIDTH / self.total;
            let mut err = std::io::stderr().lock();
            let _ = write!(
                err,
                "\r\x1b[2Kguild {}: {} [{}{}] {done}/{} ({}%)",
                self.guild,
                self.table,
                "#".repeat(filled as usize),
                "-".repeat((WIDTH - filled) as usize),
                self.total,
                done * 100 / self.total
            );
            let _ = err.flush();
        } else {
            // Plain lines, a tenth at a time (only for tables worth it).
            let tenths = done * 10 / self.total;
            if self.total >= 10_000 && tenths > self.tenths && done < self.total {
                self.tenths = tenths;
                p.line(&format!(
                    "guild {}: {}: {done} of {} rows read",
                    self.guild, self.table, self.total
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_line_has_its_figures() {
        let t = TableReport {
            source: 10,
            imported: 7,
            already: 1,
            skipped: vec![("a".into(), "b".into())],
            refused: vec![("c".into(), "d".into())],
        };
        assert_eq!(
            table_line(5, "raider", &t),
            "guild 5: raider: 10 in the source, 7 imported, 1 before, 1 skipped, 1 refused"
        );
    }
}
