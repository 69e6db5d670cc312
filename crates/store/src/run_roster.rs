//! Who is in a run: joined, on the bench (in order), left, or removed by the organizer.

use chrono::{DateTime, Utc};
use domain::Snowflake;

use crate::{PgConnection, Result, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RosterState {
    Joined,
    Benched,
    Left,
    Removed,
}

impl RosterState {
    pub fn as_str(self) -> &'static str {
        match self {
            RosterState::Joined => "joined",
            RosterState::Benched => "benched",
            RosterState::Left => "left",
            RosterState::Removed => "removed",
        }
    }

    fn parse(text: &str) -> Result<RosterState> {
        Ok(match text {
            "joined" => RosterState::Joined,
            "benched" => RosterState::Benched,
            "left" => RosterState::Left,
            "removed" => RosterState::Removed,
            other => return Err(StoreError::Corrupt(format!("roster state {other}"))),
        })
    }

    /// Holds the run role: joined or waiting on the bench.
    pub fn is_in(self) -> bool {
        matches!(self, RosterState::Joined | RosterState::Benched)
    }
}

impl TryFrom<crate::columns::Text> for RosterState {
    type Error = StoreError;
    fn try_from(v: crate::columns::Text) -> Result<RosterState> {
        RosterState::parse(&v.0)
    }
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RosterEntry {
    #[sqlx(try_from = "crate::columns::Id")]
    pub user_id: Snowflake,
    #[sqlx(try_from = "crate::columns::Text")]
    pub state: RosterState,
    pub class: Option<String>,
    pub joined_at: DateTime<Utc>,
    #[sqlx(try_from = "crate::columns::OptId")]
    pub removed_by: Option<Snowflake>,
    pub removed_reason: Option<String>,
    pub rejoin_allowed: bool,
}

/// A roster entry read through an outer join (all columns null when there is none), for
/// [`crate::runs::gates`].
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MaybeEntry {
    #[sqlx(rename = "entry_user_id", try_from = "crate::columns::OptId")]
    pub user_id: Option<Snowflake>,
    #[sqlx(rename = "entry_state")]
    pub state: Option<String>,
    #[sqlx(rename = "entry_class")]
    pub class: Option<String>,
    #[sqlx(rename = "entry_joined_at")]
    pub joined_at: Option<DateTime<Utc>>,
    #[sqlx(rename = "entry_removed_by", try_from = "crate::columns::OptId")]
    pub removed_by: Option<Snowflake>,
    #[sqlx(rename = "entry_removed_reason")]
    pub removed_reason: Option<String>,
    #[sqlx(rename = "entry_rejoin_allowed")]
    pub rejoin_allowed: Option<bool>,
}

impl MaybeEntry {
    /// The entry, when the outer join found one.
    pub fn entry(self) -> Result<Option<RosterEntry>> {
        let (Some(user_id), Some(state), Some(joined_at)) =
            (self.user_id, self.state, self.joined_at)
        else {
            return Ok(None);
        };
        Ok(Some(RosterEntry {
            user_id,
            state: RosterState::parse(&state)?,
            class: self.class,
            joined_at,
            removed_by: self.removed_by,
            removed_reason: self.removed_reason,
            rejoin_allowed: self.rejoin_allowed.unwrap_or(false),
        }))
    }
}

/// What [`join_many`] did: the rows it wrote, and the joined count of each run asked for.
#[derive(Debug, Default)]
pub struct JoinedMany {
    /// `(guild, run, user)` of every row written.
    pub written: Vec<(i64, i64, i64)>,
    /// `(guild, run, joined)`: raiders joined in the run once this statement's rows count.
    pub counts: Vec<(i64, i64, i64)>,
}

/// Joins many members at once ([`set_state`] to joined for each; one row per run and
/// member: the caller merges repeats). Parallel arrays; a class of `None` keeps the one
/// picked before. `seen` is each member's state as the caller read it (`None`: no row), and
/// a row is written only if it is still in that state: a concurrent join (or leave, bench,
/// removal) in between leaves it alone, so the caller decides again instead of telling
/// two presses that both joined. The same statement counts the joined raiders of the runs in
/// `count_guilds`/`count_runs`: those its snapshot shows, plus the rows it joined that were
/// not joined before.
#[allow(clippy::too_many_arguments)]
pub async fn join_many(
    conn: &mut PgConnection,
    guilds: &[i64],
    runs: &[i64],
    users: &[i64],
    classes: &[Option<String>],
    seen: &[Option<&str>],
    count_guilds: &[i64],
    count_runs: &[i64],
) -> Result<JoinedMany> {
    let rows: Vec<(bool, i64, i64, i64)> = sqlx::query_as(
        "WITH up AS (
            INSERT INTO run_participant (guild_id, run_id, user_id, state, class)
            SELECT guild_id, run_id, user_id, 'joined', class
            FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[])
                 AS a(guild_id, run_id, user_id, class)
            ON CONFLICT (guild_id, run_id, user_id) DO UPDATE SET
               state = EXCLUDED.state,
               class = COALESCE(EXCLUDED.class, run_participant.class),
               joined_at = CASE
                   WHEN run_participant.state IN ('joined', 'benched')
                   THEN run_participant.joined_at ELSE now() END,
               rejoin_allowed = false,
               updated_at = now()
            WHERE run_participant.state IS NOT DISTINCT FROM (
               SELECT s.seen FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $5::text[])
                      AS s(guild_id, run_id, user_id, seen)
               WHERE s.guild_id = run_participant.guild_id AND s.run_id = run_participant.run_id
                 AND s.user_id = run_participant.user_id)
            RETURNING guild_id, run_id, user_id
         ), newly AS (
            SELECT u.guild_id, u.run_id, count(*) AS n
            FROM up u
            JOIN unnest($1::bigint[], $2::bigint[], $3::bigint[], $5::text[])
                 AS s(guild_id, run_id, user_id, seen)
              ON s.guild_id = u.guild_id AND s.run_id = u.run_id AND s.user_id = u.user_id
            WHERE s.seen IS DISTINCT FROM 'joined'
            GROUP BY u.guild_id, u.run_id
         )
         SELECT true, guild_id, run_id, user_id FROM up
         UNION ALL
         SELECT false, c.guild_id, c.run_id,
                (SELECT count(*) FROM run_participant p
                  WHERE p.guild_id = c.guild_id AND p.run_id = c.run_id AND p.state = 'joined')
                + COALESCE((SELECT n.n FROM newly n
                            WHERE n.guild_id = c.guild_id AND n.run_id = c.run_id), 0)
         FROM unnest($6::bigint[], $7::bigint[]) AS c(guild_id, run_id)",
    )
    .bind(guilds)
    .bind(runs)
    .bind(users)
    .bind(classes)
    .bind(seen)
    .bind(count_guilds)
    .bind(count_runs)
    .fetch_all(conn)
    .await?;
    let mut done = JoinedMany::default();
    for (written, guild, run, value) in rows {
        if written {
            done.written.push((guild, run, value));
        } else {
            done.counts.push((guild, run, value));
        }
    }
    Ok(done)
}

/// How many are joined in each of the runs (parallel arrays of guild and run), as
/// `(guild, run, count)`.
pub async fn joined_counts(
    conn: &mut PgConnection,
    guilds: &[i64],
    runs: &[i64],
) -> Result<Vec<(i64, i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT a.guild_id, a.run_id,
                (SELECT count(*) FROM run_participant p
                  WHERE p.guild_id = a.guild_id AND p.run_id = a.run_id AND p.state = 'joined')
         FROM unnest($1::bigint[], $2::bigint[]) AS a(guild_id, run_id)",
    )
    .bind(guilds)
    .bind(runs)
    .fetch_all(conn)
    .await?)
}

const COLUMNS: &str =
    "user_id, state, class, joined_at, removed_by, removed_reason, rejoin_allowed";

pub async fn entry_of(
    conn: &mut PgConnection,
    guild: Snowflake,
    run_id: i64,
    user: Snowflake,
) -> Result<Option<RosterEntry>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM run_participant WHERE guild_id = $1 AND run_id = $2 AND user_id = $3"
    );
    Ok(sqlx::query_as::<_, RosterEntry>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(run_id)
        .bind(user.db())
        .fetch_optional(conn)
        .await?)
}

/// Everyone with a row in the run, in the order they joined (bench order).
pub async fn all(
    conn: &mut PgConnection,
    guild: Snowflake,
    run_id: i64,
) -> Result<Vec<RosterEntry>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM run_participant WHERE guild_id = $1 AND run_id = $2
         ORDER BY joined_at, user_id"
    );
    Ok(sqlx::query_as::<_, RosterEntry>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(run_id)
        .fetch_all(conn)
        .await?)
}

/// [`set_state`]'s statement.
macro_rules! set_state_sql {
    () => {
        "INSERT INTO run_participant (guild_id, run_id, user_id, state, class)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (guild_id, run_id, user_id) DO UPDATE SET
            state = EXCLUDED.state,
            class = COALESCE(EXCLUDED.class, run_participant.class),
            joined_at = CASE
                WHEN run_participant.state IN ('joined', 'benched')
                     AND EXCLUDED.state IN ('joined', 'benched')
                THEN run_participant.joined_at ELSE now() END,
            rejoin_allowed = CASE WHEN EXCLUDED.state IN ('joined', 'benched') THEN false
                                  ELSE run_participant.rejoin_allowed END,
            updated_at = now()"
    };
}

/// Joins the member ([`set_state`] to joined) if their entry is still in the state the
/// caller read (`seen`; `None`: no row), in one round trip ([`join_many`] of one). `None` when it is not (a
/// concurrent join, leave or removal came first; the row is now locked by this
/// transaction, so reading it again gives the state to decide on). Otherwise, when
/// `counted`, how many are joined afterwards (read from the statement's snapshot, which
/// does not see its own write: a member who was not joined is added).
pub async fn join_seen(
    conn: &mut PgConnection,
    guild: Snowflake,
    run_id: i64,
    user: Snowflake,
    class: Option<&str>,
    seen: Option<RosterState>,
    counted: bool,
) -> Result<Option<Option<i64>>> {
    let (count_guilds, count_runs) = if counted {
        (vec![guild.db()], vec![run_id])
    } else {
        (Vec::new(), Vec::new())
    };
    let joined = join_many(
        conn,
        &[guild.db()],
        &[run_id],
        &[user.db()],
        &[class.map(str::to_owned)],
        &[seen.map(RosterState::as_str)],
        &count_guilds,
        &count_runs,
    )
    .await?;
    if joined.written.is_empty() {
        return Ok(None);
    }
    Ok(Some(joined.counts.first().map(|(_, _, n)| *n)))
}

/// Moves the member to `state`. Entering the run (joined or benched) from outside it
/// restarts their place in line; a `class` of `None` keeps the one they picked before.
pub async fn set_state(
    conn: &mut PgConnection,
    guild: Snowflake,
    run_id: i64,
    user: Snowflake,
    state: RosterState,
    class: Option<&str>,
) -> Result<()> {
    sqlx::query(set_state_sql!())
        .bind(guild.db())
        .bind(run_id)
        .bind(user.db())
        .bind(state.as_str())
        .bind(class)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn mark_removed(
    conn: &mut PgConnection,
    guild: Snowflake,
    run_id: i64,
    user: Snowflake,
    by: Option<Snowflake>,
    reason: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO run_participant (guild_id, run_id, user_id, state, removed_by, removed_reason)
         VALUES ($1, $2, $3, 'removed', $4, $5)
         ON CONFLICT (guild_id, run_id, user_id) DO UPDATE SET
            state = 'removed', removed_by = $4, removed_reason = $5, rejoin_allowed = false,
            updated_at = now()",
    )
    .bind(guild.db())
    .bind(run_id)
    .bind(user.db())
    .bind(by.map(Snowflake::db))
    .bind(reason)
    .execute(conn)
    .await?;
    Ok(())
}

/// Lets a removed member join again. Returns false when they were not removed.
pub async fn allow_rejoin(
    conn: &mut PgConnection,
    guild: Snowflake,
    run_id: i64,
    user: Snowflake,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE run_participant SET rejoin_allowed = true, updated_at = now()
         WHERE guild_id = $1 AND run_id = $2 AND user_id = $3 AND state = 'removed'",
    )
    .bind(guild.db())
    .bind(run_id)
    .bind(user.db())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn count(
    conn: &mut PgConnection,
    guild: Snowflake,
    run_id: i64,
    state: RosterState,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM run_participant WHERE guild_id = $1 AND run_id = $2 AND state = $3",
    )
    .bind(guild.db())
    .bind(run_id)
    .bind(state.as_str())
    .fetch_one(conn)
    .await?)
}
