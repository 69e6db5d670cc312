//! Staff commands on members' names: /verify, /unverify, /editname, alts, /forcesync,
//! /syncteam, and the verification events the log shows.

use domain::quota::ModAction;
use domain::verification as rules;
use domain::{Ign, RoleKey, Snowflake};
use store::verification as store_veri;
use store::verification::names::MemberNames;
use store::{PgPool, guild_config};

use super::{
    MemberVerification, VerificationError, bad_ign, claim_err, event, sync, verify_locked,
};
use crate::{Actor, Result, ServiceError};

/// Who may bulk-import with `/syncteam`: administrators. Adapters ask before downloading
/// the file; [`sync_team`] checks again.
pub fn may_sync_team(actor: &Actor) -> Result<()> {
    actor.require(RoleKey::Administrator)
}

/// A member's verification: names, status, when, how and by whom (security, as `/find`).
/// A member raidbot has never seen reads as unverified with no names.
pub async fn member_verification(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    user: Snowflake,
) -> Result<MemberVerification> {
    actor.require(RoleKey::Security)?;
    let mut conn = pool.acquire().await?;
    Ok(
        store_veri::names::member_verification(&mut conn, guild, user)
            .await?
            .unwrap_or(MemberVerification {
                names: MemberNames {
                    user_id: user,
                    status: "unverified".to_owned(),
                    main: None,
                    alts: Vec::new(),
                },
                verified_at: None,
                verified_by: None,
                method: None,
            }),
    )
}

/// A member's verification history: their events (started, code issued, checks that
/// failed, verified, denied, renamed, alts...), newest first, at most `limit`, and how
/// many there are in all (security, as `/find`).
pub async fn history(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    user: Snowflake,
    limit: i64,
) -> Result<(Vec<super::Event>, i64)> {
    actor.require(RoleKey::Security)?;
    let mut conn = pool.acquire().await?;
    Ok(store_veri::events::member_events(&mut conn, guild, user, limit.clamp(1, 500)).await?)
}

pub async fn names(
    pool: &PgPool,
    guild: Snowflake,
    user: Snowflake,
) -> Result<Option<MemberNames>> {
    let mut conn = pool.acquire().await?;
    Ok(store_veri::names::names(&mut conn, guild, user).await?)
}

fn staff_ign(text: &str) -> Result<Ign> {
    rules::parse_ign(text).map_err(bad_ign)
}

/// `/verify member ign` (security).
pub async fn verify(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    user: Snowflake,
    ign: &str,
) -> Result<()> {
    actor.require(RoleKey::Security)?;
    let ign = staff_ign(ign)?;
    let mut tx = pool.begin().await?;
    guild_config::ensure_guild(&mut tx, guild).await?;
    verify_locked(&mut tx, guild, user, &ign, actor.user_id, "staff").await?;
    store_veri::sessions::cancel_open(&mut tx, guild, user).await?;
    tx.commit().await?;
    Ok(())
}

/// `/unverify member reason?` (security): status back to unverified, role removed, names
/// kept for history.
pub async fn unverify(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    user: Snowflake,
    reason: Option<&str>,
) -> Result<()> {
    actor.require(RoleKey::Security)?;
    let (mut tx, n) = lock_names(pool, guild, user).await?;
    if !n.as_ref().is_some_and(MemberNames::is_verified) {
        return Err(VerificationError::NotVerified { user }.into());
    }
    store_veri::names::set_status(&mut tx, guild, user, "unverified", None, None).await?;
    let ign = n.and_then(|n| n.main);
    event(
        &mut tx,
        guild,
        user,
        actor.user_id,
        "unverified",
        ign.as_deref(),
        reason,
    )
    .await?;
    sync(&mut tx, guild, user).await?;
    tx.commit().await?;
    Ok(())
}

/// Opens the transaction of a staff change to a member's names: the guild row exists, the
/// member is locked against concurrent changes, and their names as they stand.
pub(super) async fn lock_names(
    pool: &PgPool,
    guild: Snowflake,
    user: Snowflake,
) -> Result<(
    store::Transaction<'static, store::Postgres>,
    Option<MemberNames>,
)> {
    let mut tx = pool.begin().await?;
    guild_config::ensure_guild(&mut tx, guild).await?;
    store_veri::names::lock_member(&mut tx, guild, user).await?;
    let names = store_veri::names::names(&mut tx, guild, user).await?;
    Ok((tx, names))
}

/// `/editname member ign` (security).
pub async fn edit_name(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    user: Snowflake,
    ign: &str,
) -> Result<()> {
    actor.require(RoleKey::Security)?;
    let ign = staff_ign(ign)?;
    let (mut tx, names) = lock_names(pool, guild, user).await?;
    let old = names.and_then(|n| n.main);
    store_veri::names::set_main(&mut tx, guild, user, &ign)
        .await
        .map_err(|e| claim_err(&ign, e))?;
    let detail = old.map(|o| format!("was {o}"));
    let event_id = event(
        &mut tx,
        guild,
        user,
        actor.user_id,
        "name_changed",
        Some(&ign),
        detail.as_deref(),
    )
    .await?;
    if let Some(staff) = actor.user_id {
        crate::quota::award_moderation(
            &mut tx,
            guild,
            staff,
            ModAction::Editname,
            &format!("veri:{event_id}"),
        )
        .await?;
    }
    sync(&mut tx, guild, user).await?;
    tx.commit().await?;
    Ok(())
}

/// `/addalt member ign` (security).
pub async fn add_alt(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    user: Snowflake,
    ign: &str,
) -> Result<()> {
    actor.require(RoleKey::Security)?;
    let ign = staff_ign(ign)?;
    let (mut tx, n) = lock_names(pool, guild, user).await?;
    if n.as_ref().and_then(|n| n.main.as_ref()).is_none() {
        return Err(VerificationError::NoMain { user }.into());
    }
    let added = store_veri::names::add_alt(&mut tx, guild, user, &ign)
        .await
        .map_err(|e| claim_err(&ign, e))?;
    if !added {
        return Err(VerificationError::AltExists {
            user,
            ign: ign.into_string(),
        }
        .into());
    }
    event(
        &mut tx,
        guild,
        user,
        actor.user_id,
        "alt_added",
        Some(&ign),
        None,
    )
    .await?;
    sync(&mut tx, guild, user).await?;
    tx.commit().await?;
    Ok(())
}

/// `/removealt member ign` (security).
pub async fn remove_alt(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    user: Snowflake,
    ign: &str,
) -> Result<()> {
    actor.require(RoleKey::Security)?;
    let ign = ign.trim();
    let mut tx = pool.begin().await?;
    store_veri::names::lock_member(&mut tx, guild, user).await?;
    if !store_veri::names::remove_alt(&mut tx, guild, user, ign).await? {
        return Err(VerificationError::NoSuchAlt {
            user,
            ign: ign.to_owned(),
        }
        .into());
    }
    event(
        &mut tx,
        guild,
        user,
        actor.user_id,
        "alt_removed",
        Some(ign),
        None,
    )
    .await?;
    sync(&mut tx, guild, user).await?;
    tx.commit().await?;
    Ok(())
}

/// `/forcesync member?` (administrator): re-apply roles and nicknames from the database.
/// Returns how many members were queued.
pub async fn force_sync(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    user: Option<Snowflake>,
) -> Result<usize> {
    actor.require(RoleKey::Administrator)?;
    let mut tx = pool.begin().await?;
    let users = match user {
        Some(u) => vec![u],
        None => store_veri::names::members_with_names(&mut tx, guild).await?,
    };
    for u in &users {
        sync(&mut tx, guild, *u).await?;
    }
    tx.commit().await?;
    Ok(users.len())
}

/// What `/syncteam` did with one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineOutcome {
    Added,
    Updated,
    Unchanged,
    /// The main or alt belongs to another member.
    Taken {
        ign: String,
    },
    /// The line is not `UserID MainIGN [AltIGN]` with a real id and names.
    Invalid(rules::TeamLineError),
}

/// At most this many lines per import.
pub const SYNC_MAX_LINES: usize = 5000;

/// `/syncteam` (administrator): bulk import of `UserID MainIGN [AltIGN]` lines. Each line
/// is its own transaction, so one conflict does not undo the others. Blank lines and lines
/// starting with `#` are skipped (not reported).
pub async fn sync_team(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    text: &str,
) -> Result<Vec<(usize, LineOutcome)>> {
    may_sync_team(actor)?;
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .collect();
    if lines.is_empty() {
        return Err(VerificationError::EmptyImport.into());
    }
    if lines.len() > SYNC_MAX_LINES {
        return Err(VerificationError::ImportTooBig { lines: lines.len() }.into());
    }
    {
        let mut conn = pool.acquire().await?;
        guild_config::ensure_guild(&mut conn, guild).await?;
    }
    let mut out = Vec::with_capacity(lines.len());
    for (n, line) in lines {
        let outcome = match rules::parse_team_line(line) {
            Err(why) => LineOutcome::Invalid(why),
            Ok(tl) => match sync_line(pool, guild, actor, &tl).await {
                Ok(o) => o,
                Err(ServiceError::Verification(VerificationError::IgnTaken { ign })) => {
                    LineOutcome::Taken { ign }
                }
                Err(e) => return Err(e),
            },
        };
        out.push((n, outcome));
    }
    let mut conn = pool.acquire().await?;
    let added = out.iter().filter(|(_, o)| *o == LineOutcome::Added).count();
    let summary = format!("{} lines, {added} added", out.len());
    if let Some(by) = actor.user_id {
        event(
            &mut conn,
            guild,
            by,
            Some(by),
            "synced",
            None,
            Some(&summary),
        )
        .await?;
    }
    Ok(out)
}

async fn sync_line(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    tl: &rules::TeamLine,
) -> Result<LineOutcome> {
    let user = Snowflake::new(tl.user_id).map_err(VerificationError::BadUserId)?;
    let mut tx = pool.begin().await?;
    store_veri::names::lock_member(&mut tx, guild, user).await?;
    let before = store_veri::names::names(&mut tx, guild, user).await?;
    let same_main = before
        .as_ref()
        .and_then(|b| b.main.as_ref())
        .is_some_and(|m| *m == tl.main);
    let has_alt = tl.alt.as_ref().is_none_or(|a| {
        before.as_ref().is_some_and(|b| {
            b.alts
                .iter()
                .any(|x| rules::ign_key(x) == rules::ign_key(a))
        })
    });
    let was_verified = before.as_ref().is_some_and(MemberNames::is_verified);
    if was_verified && same_main && has_alt {
        return Ok(LineOutcome::Unchanged);
    }
    store_veri::names::set_main(&mut tx, guild, user, &tl.main)
        .await
        .map_err(|e| claim_err(&tl.main, e))?;
    if let Some(alt) = &tl.alt {
        store_veri::names::add_alt(&mut tx, guild, user, alt)
            .await
            .map_err(|e| claim_err(alt, e))?;
    }
    if !was_verified {
        store_veri::names::set_status(
            &mut tx,
            guild,
            user,
            "verified",
            actor.user_id,
            Some("sync"),
        )
        .await?;
    }
    store_veri::events::insert_event(
        &mut tx,
        guild,
        user,
        actor.user_id,
        "verified",
        Some(&tl.main),
        Some("sync"),
    )
    .await?;
    sync(&mut tx, guild, user).await?;
    tx.commit().await?;
    Ok(
        if before.as_ref().and_then(|b| b.main.as_ref()).is_some() || was_verified {
            LineOutcome::Updated
        } else {
            LineOutcome::Added
        },
    )
}

/// A member the bot could not rename: recorded and reported in veri_log.
pub async fn rename_failed(
    pool: &PgPool,
    guild: Snowflake,
    user: Snowflake,
    nickname: &str,
    why: &str,
) -> Result<()> {
    let mut tx = pool.begin().await?;
    event(
        &mut tx,
        guild,
        user,
        None,
        "rename_failed",
        Some(nickname),
        Some(why),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn event_row(
    pool: &PgPool,
    guild: Snowflake,
    event_id: i64,
) -> Result<Option<store_veri::events::Event>> {
    let mut conn = pool.acquire().await?;
    Ok(store_veri::events::event(&mut conn, guild, event_id).await?)
}
