//! Reading the original bot's database (GitHub `sjkd23/console`, schema as of its
//! migration 057): every table the import uses, in one `REPEATABLE READ READ ONLY`
//! transaction so the rows form one consistent picture of a database that may be live.
//! The small tables are read whole; the large ones (`quota_event`, `command_log`) are read
//! a batch at a time through a cursor in that same transaction, so memory stays bounded
//! whatever their size.
//!
//! Decimal points (`DECIMAL(10,2)`) are read as integer hundredths in SQL (`* 100`), which
//! is exact for two decimals: no float ever holds a point value.

use chrono::{DateTime, Utc};
use sqlx::{Connection, PgConnection};

/// Rows per `FETCH` from a large table's cursor.
pub const FETCH: usize = 10_000;

/// Guild ids to read; empty means every guild of the source.
pub type GuildFilter = Vec<i64>;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RoleRow {
    pub guild_id: i64,
    pub role_key: String,
    pub discord_role_id: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChannelRow {
    pub guild_id: i64,
    pub channel_key: String,
    pub discord_channel_id: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RolePingRow {
    pub guild_id: i64,
    pub dungeon_key: String,
    pub discord_role_id: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RaiderRow {
    pub guild_id: i64,
    pub user_id: i64,
    pub status: String,
    pub verified_at: Option<DateTime<Utc>>,
    pub created_at: Option<DateTime<Utc>>,
    pub ign: Option<String>,
    pub alt_ign: Option<String>,
    pub modmail_blacklisted: bool,
    pub modmail_blacklist_reason: Option<String>,
    pub modmail_blacklisted_by: Option<i64>,
    pub modmail_blacklisted_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QuotaEventRow {
    pub id: i64,
    pub guild_id: i64,
    pub actor_user_id: i64,
    pub action_type: String,
    pub subject_id: Option<String>,
    pub dungeon_key: Option<String>,
    /// Raider points, hundredths.
    pub points: i64,
    /// Quota points, hundredths.
    pub quota_points: i64,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PunishmentRow {
    pub id: String,
    pub guild_id: i64,
    pub user_id: i64,
    pub moderator_id: i64,
    pub kind: String,
    pub reason: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub removed_at: Option<DateTime<Utc>>,
    pub removed_by: Option<i64>,
    pub removal_reason: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NoteRow {
    pub id: String,
    pub guild_id: i64,
    pub user_id: i64,
    pub moderator_id: i64,
    pub note_text: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TicketRow {
    pub ticket_id: String,
    pub guild_id: i64,
    pub user_id: i64,
    pub status: String,
    pub thread_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_by: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageRow {
    pub message_id: i64,
    pub ticket_id: String,
    pub author_id: i64,
    pub content: String,
    pub attachments: Option<serde_json::Value>,
    pub sent_at: DateTime<Utc>,
    pub is_staff_reply: bool,
}

/// The verification panel's custom text and image.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VeriConfigRow {
    pub guild_id: i64,
    pub panel_custom_message: Option<String>,
    pub panel_custom_message_image: Option<String>,
}

/// A quota role's settings; points in hundredths.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QuotaRoleRow {
    pub guild_id: i64,
    pub discord_role_id: i64,
    pub required_points: i64,
    pub reset_at: DateTime<Utc>,
    pub period_start_at: DateTime<Utc>,
    pub base_exalt_points: i64,
    pub base_non_exalt_points: i64,
    pub verify_points: i64,
    pub warn_points: i64,
    pub suspend_points: i64,
    pub modmail_reply_points: i64,
    pub editname_points: i64,
    pub addnote_points: i64,
}

/// A per-dungeon value: a quota role's override (`role_id` set) or a raider-points value
/// (`kind` `completion` or `key_pop`); hundredths.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DungeonPointsRow {
    pub guild_id: i64,
    pub role_id: Option<i64>,
    pub kind: String,
    pub dungeon_key: String,
    pub points: i64,
}

/// A finished run.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RunRow {
    pub id: i64,
    pub guild_id: i64,
    pub organizer_id: Option<i64>,
    pub dungeon_key: String,
    pub description: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub party: Option<String>,
    pub location: Option<String>,
    pub auto_end_minutes: i32,
    pub chain_amount: Option<i32>,
    pub screenshot_url: Option<String>,
    pub o3_stage: Option<String>,
}

/// A raider's join, bench or leave on a run, or (with `state` `key`) a key reaction.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RunReactionRow {
    pub run_id: i64,
    pub user_id: i64,
    pub state: String,
    /// The class (joins) or the key type (keys).
    pub value: Option<String>,
    pub at: Option<DateTime<Utc>>,
}

/// A member's running total of keys logged for a dungeon and key type.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeyPopRow {
    pub guild_id: i64,
    pub user_id: i64,
    pub dungeon_key: String,
    pub key_type: String,
    pub count: i32,
    pub last_popped_at: Option<DateTime<Utc>>,
}

/// A role members request with a screenshot.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CustomRoleRow {
    pub id: i32,
    pub guild_id: i64,
    pub role_id: i64,
    pub verification_channel_id: i64,
    pub instructions: String,
    pub example_image_url: Option<String>,
    pub role_description: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// One slash command run (ids are text in the source).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CommandRow {
    pub id: i64,
    pub user_id: String,
    pub command_name: String,
    pub subcommand: Option<String>,
    pub options: Option<serde_json::Value>,
    pub success: bool,
    pub error_code: Option<String>,
    pub latency_ms: Option<i32>,
    pub created_at: DateTime<Utc>,
}

/// Something in progress in the source whose Discord side belongs to the old bot.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OpenRow {
    pub guild_id: i64,
    pub id: String,
    pub what: String,
}

/// Everything read from the source, for the guilds asked for.
#[derive(Debug, Default)]
pub struct Source {
    pub guilds: Vec<i64>,
    pub roles: Vec<RoleRow>,
    pub channels: Vec<ChannelRow>,
    pub role_pings: Vec<RolePingRow>,
    pub veri_configs: Vec<VeriConfigRow>,
    pub quota_roles: Vec<QuotaRoleRow>,
    pub dungeon_points: Vec<DungeonPointsRow>,
    pub raiders: Vec<RaiderRow>,
    pub key_pops: Vec<KeyPopRow>,
    pub custom_roles: Vec<CustomRoleRow>,
    pub punishments: Vec<PunishmentRow>,
    pub notes: Vec<NoteRow>,
    pub tickets: Vec<TicketRow>,
    pub messages: Vec<MessageRow>,
    /// Runs by status (open ones are reported).
    pub runs: Vec<OpenRow>,
    pub ended_runs: Vec<RunRow>,
    pub run_reactions: Vec<RunReactionRow>,
    pub verification_sessions: Vec<OpenRow>,
    /// Custom role requests waiting for a screenshot or a review.
    pub custom_role_sessions: Vec<OpenRow>,
    /// The source's own sums per guild: (raider points, quota points), hundredths.
    pub point_totals: Vec<(i64, i64, i64)>,
}

/// The source database, in one read-only snapshot for as long as the import runs.
pub struct SourceDb {
    conn: PgConnection,
}

/// Opens the snapshot.
pub async fn open(url: &str) -> Result<SourceDb, sqlx::Error> {
    let mut conn = PgConnection::connect(url).await?;
    sqlx::query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .execute(&mut conn)
        .await?;
    Ok(SourceDb { conn })
}

impl SourceDb {
    /// Ends the snapshot.
    pub async fn close(mut self) -> Result<(), sqlx::Error> {
        sqlx::query("COMMIT").execute(&mut self.conn).await?;
        self.conn.close().await
    }

    /// How many quota events the guild has.
    pub async fn quota_event_count(&mut self, guild: i64) -> Result<u64, sqlx::Error> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM quota_event WHERE guild_id = $1")
            .bind(guild)
            .fetch_one(&mut self.conn)
            .await?;
        Ok(u64::try_from(n).unwrap_or_default())
    }

    /// Opens the cursor over the guild's quota events (by id); read with
    /// [`SourceDb::next_quota_events`] until empty.
    pub async fn open_quota_events(&mut self, guild: i64) -> Result<(), sqlx::Error> {
        self.declare(
            "import_quota_event",
            &format!(
                "SELECT id, guild_id, actor_user_id, action_type, subject_id, dungeon_key,
                        (points * 100)::bigint AS points,
                        (quota_points * 100)::bigint AS quota_points, created_at
                 FROM quota_event WHERE guild_id = {guild} ORDER BY id"
            ),
        )
        .await
    }

    /// The next batch of quota events; empty (and the cursor closed) at the end.
    pub async fn next_quota_events(&mut self) -> Result<Vec<QuotaEventRow>, sqlx::Error> {
        self.fetch("import_quota_event").await
    }

    /// How many command log entries the guild has.
    pub async fn command_count(&mut self, guild: i64) -> Result<u64, sqlx::Error> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM command_log WHERE guild_id = $1")
            .bind(guild.to_string())
            .fetch_one(&mut self.conn)
            .await?;
        Ok(u64::try_from(n).unwrap_or_default())
    }

    /// Opens the cursor over the guild's command log (by id); read with
    /// [`SourceDb::next_commands`] until empty. Commands used in DMs have no guild and
    /// are not read.
    pub async fn open_commands(&mut self, guild: i64) -> Result<(), sqlx::Error> {
        self.declare(
            "import_command_log",
            &format!(
                "SELECT id, user_id, command_name, subcommand, options, success, error_code,
                        latency_ms, created_at
                 FROM command_log WHERE guild_id = '{guild}' ORDER BY id"
            ),
        )
        .await
    }

    pub async fn next_commands(&mut self) -> Result<Vec<CommandRow>, sqlx::Error> {
        self.fetch("import_command_log").await
    }

    /// Declares a cursor in the snapshot. `query` holds no text from outside (integers
    /// only): DECLARE takes no parameters.
    async fn declare(&mut self, name: &str, query: &str) -> Result<(), sqlx::Error> {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DECLARE {name} NO SCROLL CURSOR FOR {query}"
        )))
        .execute(&mut self.conn)
        .await?;
        Ok(())
    }

    /// The next [`FETCH`] rows of a cursor; empty, and the cursor closed, at its end.
    async fn fetch<T>(&mut self, name: &str) -> Result<Vec<T>, sqlx::Error>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
    {
        let rows =
            sqlx::query_as::<_, T>(sqlx::AssertSqlSafe(format!("FETCH {FETCH} FROM {name}")))
                .fetch_all(&mut self.conn)
                .await?;
        if rows.is_empty() {
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CLOSE {name}")))
                .execute(&mut self.conn)
                .await?;
        }
        Ok(rows)
    }

    /// Reads the small tables whole.
    pub async fn read(&mut self, guilds: &[i64]) -> Result<Source, sqlx::Error> {
        let tx = &mut self.conn;
        let filter: Option<&[i64]> = (!guilds.is_empty()).then_some(guilds);
        // Every query below takes the guild filter as $1 (NULL: all guilds).
        macro_rules! rows {
            ($ty:ty, $sql:expr) => {
                sqlx::query_as::<_, $ty>($sql)
                    .bind(filter)
                    .fetch_all(&mut *tx)
                    .await?
            };
        }
        let guilds: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM guild WHERE $1::bigint[] IS NULL OR id = ANY($1) ORDER BY id",
        )
        .bind(filter)
        .fetch_all(&mut *tx)
        .await?;
        let source = Source {
            roles: rows!(
                RoleRow,
                "SELECT guild_id, role_key, discord_role_id FROM guild_role
             WHERE $1::bigint[] IS NULL OR guild_id = ANY($1) ORDER BY guild_id, role_key"
            ),
            channels: rows!(
                ChannelRow,
                "SELECT guild_id, channel_key, discord_channel_id FROM guild_channel
             WHERE $1::bigint[] IS NULL OR guild_id = ANY($1) ORDER BY guild_id, channel_key"
            ),
            role_pings: rows!(
                RolePingRow,
                "SELECT guild_id, dungeon_key, discord_role_id FROM dungeon_role_ping
             WHERE $1::bigint[] IS NULL OR guild_id = ANY($1) ORDER BY guild_id, dungeon_key"
            ),
            veri_configs: rows!(
                VeriConfigRow,
                "SELECT guild_id, panel_custom_message, panel_custom_message_image
             FROM guild_verification_config WHERE $1::bigint[] IS NULL OR guild_id = ANY($1)
             ORDER BY guild_id"
            ),
            quota_roles: rows!(
            QuotaRoleRow,
            "SELECT guild_id, discord_role_id, (required_points * 100)::bigint AS required_points,
                    reset_at, period_start_at,
                    (base_exalt_points * 100)::bigint AS base_exalt_points,
                    (base_non_exalt_points * 100)::bigint AS base_non_exalt_points,
                    (verify_points * 100)::bigint AS verify_points,
                    (warn_points * 100)::bigint AS warn_points,
                    (suspend_points * 100)::bigint AS suspend_points,
                    (modmail_reply_points * 100)::bigint AS modmail_reply_points,
                    (editname_points * 100)::bigint AS editname_points,
                    (addnote_points * 100)::bigint AS addnote_points
             FROM quota_role_config WHERE $1::bigint[] IS NULL OR guild_id = ANY($1)
             ORDER BY guild_id, discord_role_id"
        ),
            dungeon_points: rows!(
                DungeonPointsRow,
                "SELECT guild_id, role_id, kind, dungeon_key, points FROM (
                SELECT guild_id, discord_role_id AS role_id, 'quota' AS kind, dungeon_key,
                       (points * 100)::bigint AS points FROM quota_dungeon_override
                UNION ALL
                SELECT guild_id, NULL, 'completion', dungeon_key, (points * 100)::bigint
                FROM raider_points_config
                UNION ALL
                SELECT guild_id, NULL, 'key_pop', dungeon_key, (points * 100)::bigint
                FROM key_pop_points_config) d
             WHERE $1::bigint[] IS NULL OR guild_id = ANY($1)
             ORDER BY guild_id, kind, role_id, dungeon_key"
            ),
            raiders: rows!(
                RaiderRow,
                "SELECT guild_id, user_id, status, verified_at, created_at, ign, alt_ign,
                    modmail_blacklisted, modmail_blacklist_reason, modmail_blacklisted_by,
                    modmail_blacklisted_at
             FROM raider WHERE $1::bigint[] IS NULL OR guild_id = ANY($1)
             ORDER BY guild_id, verified_at NULLS LAST, created_at, user_id"
            ),
            key_pops: rows!(
            KeyPopRow,
            "SELECT guild_id, user_id, dungeon_key, key_type, count, last_popped_at FROM key_pop
             WHERE $1::bigint[] IS NULL OR guild_id = ANY($1)
             ORDER BY guild_id, user_id, dungeon_key, key_type"
        ),
            custom_roles: rows!(
                CustomRoleRow,
                "SELECT id, guild_id, role_id, verification_channel_id, instructions,
                    example_image_url, role_description, created_at
             FROM custom_role_verification WHERE $1::bigint[] IS NULL OR guild_id = ANY($1)
             ORDER BY guild_id, id"
            ),
            punishments: rows!(
                PunishmentRow,
                "SELECT id, guild_id, user_id, moderator_id, type AS kind, reason, expires_at,
                    active, created_at, removed_at, removed_by, removal_reason
             FROM punishment WHERE $1::bigint[] IS NULL OR guild_id = ANY($1)
             ORDER BY guild_id, created_at, id"
            ),
            notes: rows!(
                NoteRow,
                "SELECT id, guild_id, user_id, moderator_id, note_text, created_at
             FROM note WHERE $1::bigint[] IS NULL OR guild_id = ANY($1)
             ORDER BY guild_id, created_at, id"
            ),
            tickets: rows!(
                TicketRow,
                "SELECT ticket_id, guild_id, user_id, status, thread_id, created_at, closed_at,
                    closed_by
             FROM modmail_ticket WHERE $1::bigint[] IS NULL OR guild_id = ANY($1)
             ORDER BY guild_id, created_at, ticket_id"
            ),
            messages: rows!(
            MessageRow,
            "SELECT m.message_id, m.ticket_id, m.author_id, m.content, m.attachments, m.sent_at,
                    m.is_staff_reply
             FROM modmail_message m JOIN modmail_ticket t USING (ticket_id)
             WHERE $1::bigint[] IS NULL OR t.guild_id = ANY($1)
             ORDER BY m.ticket_id, m.sent_at, m.message_id"
        ),
            runs: rows!(
                OpenRow,
                "SELECT guild_id, id::text AS id, status AS what FROM run
             WHERE $1::bigint[] IS NULL OR guild_id = ANY($1) ORDER BY guild_id, id"
            ),
            ended_runs: rows!(
            RunRow,
            "SELECT id, guild_id, organizer_id, dungeon_key, description, created_at, started_at,
                    ended_at, party, location, auto_end_minutes, chain_amount, screenshot_url,
                    o3_stage
             FROM run WHERE ($1::bigint[] IS NULL OR guild_id = ANY($1)) AND status = 'ended'
             ORDER BY guild_id, id"
        ),
            run_reactions: rows!(
                RunReactionRow,
                "SELECT x.run_id, x.user_id, x.state, x.value, x.at FROM (
                SELECT run_id, user_id, state, class AS value, updated_at AS at FROM reaction
                UNION ALL
                SELECT run_id, user_id, 'key', key_type, created_at FROM key_reaction) x
             JOIN run r ON r.id = x.run_id
             WHERE ($1::bigint[] IS NULL OR r.guild_id = ANY($1)) AND r.status = 'ended'
             ORDER BY x.run_id, x.at, x.user_id"
            ),
            verification_sessions: rows!(
                OpenRow,
                "SELECT guild_id, user_id::text AS id, status AS what FROM verification_session
             WHERE ($1::bigint[] IS NULL OR guild_id = ANY($1))
               AND status IN ('pending_ign', 'pending_realmeye', 'pending_screenshot',
                              'pending_review')
             ORDER BY guild_id, user_id"
            ),
            custom_role_sessions: rows!(
            OpenRow,
            "SELECT guild_id, id::text AS id, status AS what FROM custom_role_verification_session
             WHERE ($1::bigint[] IS NULL OR guild_id = ANY($1))
               AND status IN ('pending_screenshot', 'pending_review')
             ORDER BY guild_id, id"
        ),
            point_totals: sqlx::query_as(
                "SELECT guild_id, (coalesce(sum(points), 0) * 100)::bigint,
                    (coalesce(sum(quota_points), 0) * 100)::bigint
             FROM quota_event WHERE $1::bigint[] IS NULL OR guild_id = ANY($1)
             GROUP BY guild_id ORDER BY guild_id",
            )
            .bind(filter)
            .fetch_all(&mut *tx)
            .await?,
            guilds,
        };
        Ok(source)
    }
}

impl Source {
    /// A quota role's per-dungeon overrides.
    pub fn dungeon_points_of(
        &self,
        guild: i64,
        role: i64,
    ) -> impl Iterator<Item = &DungeonPointsRow> + '_ {
        self.dungeon_points
            .iter()
            .filter(move |d| d.guild_id == guild && d.role_id == Some(role))
    }
}
