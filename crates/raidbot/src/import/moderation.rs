//! Punishments and staff notes. A punishment keeps its reason, actor, times and state; the
//! original's 24-character id is recorded next to the raidbot code it became
//! (`import_source_key.target_id`). Suspensions and mutes still running get raidbot's expiry
//! timer, as `/suspend` queues it; ones whose time has passed are marked expired and are
//! not applied again.

use chrono::Utc;
use domain::Snowflake;
use domain::moderation::PunishmentKind;
use service::tasks::{self, Task};
use store::PgConnection;
use store::import::ImportedPunishment;
use store::punishments::PunishmentStatus;

use super::source::{PunishmentRow, Source};
use super::{GuildReport, Keys, user_label};

/// raidbot's limits on these texts (checked, never cut: a refused row says so).
const REASON_MAX: usize = 500;
const NOTE_MAX: usize = 1000;

pub(super) async fn import(
    tx: &mut PgConnection,
    guild: Snowflake,
    source: &Source,
    report: &mut GuildReport,
) -> anyhow::Result<()> {
    punishments(tx, guild, source, report).await?;
    notes(tx, guild, source, report).await
}

async fn punishments(
    tx: &mut PgConnection,
    guild: Snowflake,
    source: &Source,
    report: &mut GuildReport,
) -> anyhow::Result<()> {
    let mut keys = Keys::load(tx, guild, "punishment").await?;
    let t = report.table("punishment");
    for row in source
        .punishments
        .iter()
        .filter(|p| p.guild_id == guild.db())
    {
        t.source += 1;
        if keys.seen(&row.id) {
            t.already += 1;
            continue;
        }
        let p = match map(guild, row) {
            Ok(p) => p,
            Err(why) => {
                t.refuse(&row.id, why);
                continue;
            }
        };
        let timed = p.expires_at.is_some();
        if timed
            && p.status == PunishmentStatus::Active
            && store::import::has_active_timed(tx, guild, p.user_id, p.kind).await?
        {
            t.refuse(
                &row.id,
                format!(
                    "member {} already has a running {} in raidbot",
                    p.user_id,
                    if p.kind == PunishmentKind::Mute {
                        "mute"
                    } else {
                        "suspension"
                    }
                ),
            );
            continue;
        }
        let (id, code) = store::import::insert_punishment(tx, &p).await?;
        if let (PunishmentStatus::Active, Some(due)) = (p.status, p.expires_at) {
            tasks::queue(
                tx,
                guild,
                Task::PunishmentExpire { punishment_id: id },
                Some(due),
            )
            .await?;
        }
        keys.add(&row.id, Some(code));
        t.imported += 1;
    }
    keys.save(tx, guild).await
}

/// The raidbot punishment of a source row, or why there is none.
fn map(guild: Snowflake, row: &PunishmentRow) -> Result<ImportedPunishment, String> {
    let kind = PunishmentKind::parse(&row.kind)
        .filter(|k| {
            matches!(
                k,
                PunishmentKind::Warn | PunishmentKind::Suspend | PunishmentKind::Mute
            )
        })
        .ok_or_else(|| format!("raidbot has no punishment type `{}`", row.kind))?;
    let user = Snowflake::from_db(row.user_id)
        .map_err(|_| format!("`{}` is not a Discord user id", row.user_id))?;
    let actor = Snowflake::from_db(row.moderator_id)
        .map_err(|_| format!("`{}` is not a Discord user id", row.moderator_id))?;
    let reason = row.reason.trim();
    if reason.is_empty() || reason.chars().count() > REASON_MAX {
        return Err(format!(
            "the reason has {} characters; raidbot keeps 1 to {REASON_MAX}",
            reason.chars().count()
        ));
    }
    if let Some(r) = &row.removal_reason
        && r.chars().count() > REASON_MAX
    {
        return Err(format!(
            "the removal reason has more than {REASON_MAX} characters"
        ));
    }
    let timed = matches!(kind, PunishmentKind::Suspend | PunishmentKind::Mute);
    let expires_at = match (timed, row.expires_at) {
        (true, None) => return Err(format!("a {} without an end time", row.kind)),
        (true, Some(e)) if e <= row.created_at => {
            return Err("it ends before it was given".to_owned());
        }
        (true, e) => e,
        // A warning never expires.
        (false, _) => None,
    };
    let mut p = ImportedPunishment {
        guild_id: guild,
        kind,
        user_id: user,
        actor_id: Some(actor),
        actor: user_label(row.moderator_id),
        reason: reason.to_owned(),
        status: PunishmentStatus::Active,
        created_at: row.created_at,
        expires_at,
        ended_at: None,
        ended_by: None,
        ended_by_label: None,
        end_reason: None,
    };
    let now = Utc::now();
    if let Some(removed_at) = row.removed_at {
        p.status = PunishmentStatus::Removed;
        p.ended_at = Some(removed_at.max(row.created_at));
        p.ended_by = row.removed_by.and_then(|b| Snowflake::from_db(b).ok());
        p.ended_by_label = row.removed_by.map(user_label);
        p.end_reason = row.removal_reason.clone();
    } else if let Some(expires_at) = expires_at {
        if !row.active || expires_at <= now {
            p.status = PunishmentStatus::Expired;
            p.ended_at = Some(expires_at.min(now));
        }
    } else if !row.active {
        // A warning deactivated without a removal record.
        p.status = PunishmentStatus::Removed;
        p.ended_at = Some(row.created_at);
    }
    Ok(p)
}

async fn notes(
    tx: &mut PgConnection,
    guild: Snowflake,
    source: &Source,
    report: &mut GuildReport,
) -> anyhow::Result<()> {
    let mut keys = Keys::load(tx, guild, "note").await?;
    let t = report.table("note");
    for n in source.notes.iter().filter(|n| n.guild_id == guild.db()) {
        t.source += 1;
        if keys.seen(&n.id) {
            t.already += 1;
            continue;
        }
        let (Ok(user), Ok(author)) = (
            Snowflake::from_db(n.user_id),
            Snowflake::from_db(n.moderator_id),
        ) else {
            t.refuse(&n.id, "the member or the author is not a Discord user id");
            continue;
        };
        let body = n.note_text.trim();
        if body.is_empty() || body.chars().count() > NOTE_MAX {
            t.refuse(
                &n.id,
                format!(
                    "the note has {} characters; raidbot keeps 1 to {NOTE_MAX}",
                    body.chars().count()
                ),
            );
            continue;
        }
        let id = store::import::insert_note(
            tx,
            guild,
            user,
            Some(author),
            &user_label(n.moderator_id),
            body,
            n.created_at,
        )
        .await?;
        keys.add(&n.id, Some(id.to_string()));
        t.imported += 1;
    }
    keys.save(tx, guild).await
}
