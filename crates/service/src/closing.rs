//! What closing a run and ending a headcount share: who closed it (the close reason on the
//! row and in the logs) and the auto-end timer that may fire before its time.

use chrono::{DateTime, Utc};
use domain::Snowflake;
use store::PgConnection;

use crate::Actor;
use crate::tasks::{self, Task};

/// Who closes a run or ends a headcount.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Closer<'a> {
    /// A person (the organizer, staff) or an API key.
    Person(&'a Actor),
    /// The auto-end timer.
    Timer,
}

impl<'a> Closer<'a> {
    /// "organizer", "staff" or "auto": the row's close reason.
    pub(crate) fn reason(self, organizer: Snowflake) -> &'static str {
        let (own, other) = self.reasons();
        if self.user_id() == Some(organizer) {
            own
        } else {
            other
        }
    }

    /// [`Closer::reason`] when the closer organized the run, and when not.
    pub(crate) fn reasons(self) -> (&'static str, &'static str) {
        match self {
            Closer::Person(_) => ("organizer", "staff"),
            Closer::Timer => ("auto", "auto"),
        }
    }

    pub(crate) fn user_id(self) -> Option<Snowflake> {
        match self {
            Closer::Person(a) => a.user_id,
            Closer::Timer => None,
        }
    }

    pub(crate) fn actor(self) -> Option<&'a Actor> {
        match self {
            Closer::Person(a) => Some(a),
            Closer::Timer => None,
        }
    }
}

/// An auto-end timer fired before `due` (the deadline was moved later): queues `timer`
/// again for `due` and returns true, and the caller leaves the run or headcount alone.
pub(crate) async fn timer_early(
    conn: &mut PgConnection,
    guild: Snowflake,
    timer: Task,
    due: DateTime<Utc>,
) -> store::Result<bool> {
    if due <= Utc::now() {
        return Ok(false);
    }
    tasks::queue(conn, guild, timer, Some(due)).await?;
    Ok(true)
}
