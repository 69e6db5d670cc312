//! Members (`raider`): status, main IGN and alt. IGNs are unique per guild in raidbot
//! (mains and alts, case-insensitively); a name another member holds is refused with both
//! members named, never merged or moved.

use chrono::Utc;
use domain::Snowflake;
use domain::verification::parse_ign;
use store::PgConnection;
use store::verification::names::{self, ClaimError};

use super::source::{RaiderRow, Source};
use super::{GuildReport, Keys};

/// raidbot's member status for the original's raider status.
fn status(original: &str) -> &'static str {
    match original {
        "approved" => "verified",
        "banned" => "banned",
        // pending and rejected: not verified.
        _ => "unverified",
    }
}

pub(super) async fn import(
    tx: &mut PgConnection,
    guild: Snowflake,
    source: &Source,
    report: &mut GuildReport,
) -> anyhow::Result<()> {
    let mut keys = Keys::load(tx, guild, "raider").await?;
    let mut alt_keys = Keys::load(tx, guild, "raider.alt_ign").await?;
    for r in source.raiders.iter().filter(|r| r.guild_id == guild.db()) {
        let id = r.user_id.to_string();
        let t = report.table("raider");
        t.source += 1;
        let has_alt = r.alt_ign.as_deref().is_some_and(|a| !a.trim().is_empty());
        if has_alt {
            report.table("raider.alt_ign").source += 1;
        }
        if keys.seen(&id) {
            report.table("raider").already += 1;
            if has_alt && alt_keys.seen(&id) {
                report.table("raider.alt_ign").already += 1;
            } else if has_alt {
                alt(tx, guild, r, &mut alt_keys, report).await?;
            }
            continue;
        }
        match member(tx, guild, r).await? {
            Ok(()) => {
                keys.add(&id, None);
                report.table("raider").imported += 1;
                if has_alt {
                    alt(tx, guild, r, &mut alt_keys, report).await?;
                }
            }
            Err(why) => {
                report.table("raider").refuse(&id, why);
                if has_alt {
                    report
                        .table("raider.alt_ign")
                        .refuse(&id, "the member was not imported (see raider)");
                }
            }
        }
    }
    keys.save(tx, guild).await?;
    alt_keys.save(tx, guild).await
}

/// Writes one member; `Err(reason)` when the row cannot be mapped (nothing written).
async fn member(
    tx: &mut PgConnection,
    guild: Snowflake,
    r: &RaiderRow,
) -> anyhow::Result<Result<(), String>> {
    let Ok(user) = Snowflake::from_db(r.user_id) else {
        return Ok(Err(format!("`{}` is not a Discord user id", r.user_id)));
    };
    let status = status(&r.status);
    // Verified and banned members keep their name (a banned member's name stays taken).
    let ign = match r.ign.as_deref().map(str::trim).filter(|i| !i.is_empty()) {
        Some(ign) if status != "unverified" => match parse_ign(ign) {
            Ok(ign) => Some(ign),
            Err(e) => return Ok(Err(format!("IGN: {e}"))),
        },
        _ => None,
    };
    let existing = store::import::member(tx, guild, user).await?;
    if let Some(ign) = &ign {
        if let Some((holder, _)) = names::owner_of(tx, guild, ign).await?
            && holder != user
        {
            return Ok(Err(format!(
                "IGN `{ign}` is already held by member {holder} in raidbot"
            )));
        }
        if let Some((_, Some(main))) = &existing
            && !main.eq_ignore_ascii_case(ign)
        {
            return Ok(Err(format!(
                "raidbot already has `{main}` as this member's main IGN (the original has `{ign}`)"
            )));
        }
    }
    let first_seen = r.created_at.or(r.verified_at).unwrap_or_else(Utc::now);
    store::import::upsert_member(tx, guild, user, status, first_seen, r.verified_at).await?;
    if let Some(ign) = &ign {
        match names::set_main(tx, guild, user, ign).await {
            Ok(()) => {}
            // Checked above; a claim can only lose to itself inside one transaction.
            Err(ClaimError::Taken(holder)) => {
                anyhow::bail!(
                    "IGN `{ign}` of member {user} was taken during the import by {holder:?}"
                )
            }
            Err(ClaimError::Store(e)) => return Err(e.into()),
        }
    }
    Ok(Ok(()))
}

async fn alt(
    tx: &mut PgConnection,
    guild: Snowflake,
    r: &RaiderRow,
    keys: &mut Keys,
    report: &mut GuildReport,
) -> anyhow::Result<()> {
    let id = r.user_id.to_string();
    let t = report.table("raider.alt_ign");
    let raw = r.alt_ign.as_deref().unwrap_or_default().trim();
    let user = Snowflake::from_db(r.user_id)?;
    let alt = match parse_ign(raw) {
        Ok(a) => a,
        Err(e) => {
            t.refuse(&id, format!("alt IGN: {e}"));
            return Ok(());
        }
    };
    if store::import::member(tx, guild, user).await?.is_none() {
        t.refuse(&id, "the member was not imported (see raider)");
        return Ok(());
    }
    match names::add_alt(tx, guild, user, &alt).await {
        Ok(_) => {
            keys.add(&id, Some(alt));
            t.imported += 1;
        }
        Err(ClaimError::Taken(holder)) => {
            let who = holder.map_or_else(|| "another member".to_owned(), |h| format!("member {h}"));
            t.refuse(
                &id,
                format!("alt IGN `{alt}` is already held by {who} in raidbot"),
            );
        }
        Err(ClaimError::Store(e)) => return Err(e.into()),
    }
    Ok(())
}
