//! Who is acting, and the permission checks on them.

use domain::Snowflake;
use domain::roles::{Level, RoleKey, allows};
use store::runs::RunsOf;

use crate::ServiceError;

/// The person or key behind a use case. The bot builds it from the member's Discord roles
/// and the guild's role mapping; the API from its key. A request body never sets it.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The Discord user acting, when known.
    pub user_id: Option<Snowflake>,
    pub level: Level,
    /// For audit rows: "user 123", "service key", "api key 'dashboard'".
    pub label: String,
}

impl Actor {
    pub fn member(user_id: Snowflake, level: Level) -> Actor {
        Actor {
            user_id: Some(user_id),
            level,
            label: format!("user {user_id}"),
        }
    }

    pub fn require(&self, key: RoleKey) -> Result<(), ServiceError> {
        if allows(self.level, key) {
            Ok(())
        } else {
            Err(ServiceError::MissingRole(key))
        }
    }

    /// Whether this actor is who did something recorded as by `by_id` / `by_label`: the
    /// same Discord member, or — for an API key, which has no member — the same key (its
    /// label names the key's number, so two keys never share one).
    pub fn did(&self, by_id: Option<Snowflake>, by_label: &str) -> bool {
        match self.user_id {
            Some(me) => by_id == Some(me),
            None => by_id.is_none() && by_label == self.label,
        }
    }

    /// Whether this actor may manage what `organizer` organizes (a run, a headcount, a
    /// scheduled raid): the organizer themselves, or staff above the Organizer level.
    pub fn manages(&self, organizer: Snowflake) -> bool {
        match self.managed_runs() {
            Some(RunsOf::Anyone) => true,
            Some(RunsOf::Organizer(me)) => me == organizer,
            None => false,
        }
    }

    /// [`Actor::manages`] as a statement's filter: every run (staff above the Organizer
    /// level), the actor's own runs, or none (a key below that level has no member).
    pub(crate) fn managed_runs(&self) -> Option<RunsOf> {
        if RoleKey::Organizer
            .level()
            .is_some_and(|organizer| self.level > organizer)
        {
            Some(RunsOf::Anyone)
        } else {
            self.user_id.map(RunsOf::Organizer)
        }
    }

    /// The audit row's actor, for adapters that record an audit entry themselves.
    pub fn audit_actor(&self) -> store::logs::AuditActor {
        self.audit()
    }

    pub(crate) fn audit(&self) -> store::logs::AuditActor {
        store::logs::AuditActor {
            user_id: self.user_id,
            label: self.label.clone(),
        }
    }
}
