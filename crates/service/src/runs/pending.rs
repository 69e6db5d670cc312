//! What changes of runs leave for the end of their transaction: the jobs to queue, the audit
//! rows, the runs closed (whose scheduled raid refreshes its announcement), and each
//! guild's run settings, read once. A change alone writes them as before, a statement each;
//! a batch of changes ([`super::LifecycleBatcher`]) writes those of all its requests with
//! one statement each.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use domain::{ChannelKey, Snowflake};
use store::PgConnection;
use store::logs::NewAudit;

use crate::Result;
use crate::tasks::{self, Task};

/// Jobs to queue, with their due times.
pub(crate) type Jobs = Vec<(Snowflake, Task, Option<DateTime<Utc>>)>;

#[derive(Default)]
pub(crate) struct Pending {
    pub(crate) jobs: Jobs,
    audits: Vec<NewAudit>,
    closed: Vec<(Snowflake, i64)>,
    settings: HashMap<Snowflake, (Option<Snowflake>, i32)>,
}

/// Where one request's share of a [`Pending`] starts (see [`Pending::drop_since`]).
pub(crate) struct Mark {
    jobs: usize,
    audits: usize,
    closed: usize,
}

impl Pending {
    pub(crate) fn mark(&self) -> Mark {
        Mark {
            jobs: self.jobs.len(),
            audits: self.audits.len(),
            closed: self.closed.len(),
        }
    }

    /// Forgets what was added since `mark` (a refused request of a batch). The settings
    /// read stay: they are the guild's, whoever asked.
    pub(crate) fn drop_since(&mut self, mark: Mark) {
        self.jobs.truncate(mark.jobs);
        self.audits.truncate(mark.audits);
        self.closed.truncate(mark.closed);
    }

    pub(crate) fn audit(&mut self, row: NewAudit) {
        self.audits.push(row);
    }

    /// The run closed: a scheduled raid that opened it refreshes its announcement.
    pub(crate) fn closed(&mut self, guild: Snowflake, run_id: i64) {
        self.closed.push((guild, run_id));
    }

    /// The guild's raid channel and default run length (minutes), read once per
    /// transaction.
    pub(crate) async fn run_settings(
        &mut self,
        conn: &mut PgConnection,
        guild: Snowflake,
    ) -> Result<(Option<Snowflake>, i32)> {
        if let Some(settings) = self.settings.get(&guild) {
            return Ok(*settings);
        }
        let settings = store::guild_config::run_settings(conn, guild, ChannelKey::Raid).await?;
        self.settings.insert(guild, settings);
        Ok(settings)
    }

    /// Writes what is pending in `conn`'s transaction: at most one statement each for the
    /// audit rows, the scheduled raids' lookup and the jobs.
    pub(crate) async fn write(mut self, conn: &mut PgConnection) -> Result<()> {
        store::logs::record_audits(conn, &self.audits).await?;
        crate::schedule::on_runs_closed(conn, &self.closed, &mut self.jobs).await?;
        tasks::queue_many(conn, &self.jobs).await?;
        Ok(())
    }
}
