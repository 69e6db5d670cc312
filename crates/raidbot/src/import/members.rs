//! Members (`raider`): status, main IGN and alt. IGNs are unique per guild in raidbot
//! (mains and alts, case-insensitively); a name another member holds is refused with both
//! members named, never merged or moved.
//!
//! Members are written in batches of [`BATCH`]: the batch's members and name holders are
//! read in two statements, each row is decided in source order against them (and against
//! the names the batch itself claims, so the first claimer wins as one at a time would),
//! then the batch is written in a few statements.

use std::collections::HashMap;

use chrono::Utc;
use domain::Snowflake;
use domain::verification::{ign_key, parse_ign};
use messages::Style;
use messages::verification::bad_ign;
use store::PgConnection;
use store::import::ImportedMember;

use super::source::RaiderRow;
use super::{GuildReport, Keys};

/// Source rows decided and written together.
pub(super) const BATCH: usize = 1_000;

/// raidbot's member status for the original's raider status.
fn status(original: &str) -> &'static str {
    match original {
        "approved" => "verified",
        "banned" => "banned",
        // pending and rejected: not verified.
        _ => "unverified",
    }
}

/// The source keys of members and alts imported before, kept across batches.
pub(super) struct MemberKeys {
    members: Keys,
    alts: Keys,
}

impl MemberKeys {
    pub(super) async fn load(tx: &mut PgConnection, guild: Snowflake) -> anyhow::Result<Self> {
        Ok(MemberKeys {
            members: Keys::load(tx, guild, "raider").await?,
            alts: Keys::load(tx, guild, "raider.alt_ign").await?,
        })
    }

    pub(super) async fn save(self, tx: &mut PgConnection, guild: Snowflake) -> anyhow::Result<()> {
        self.members.save(tx, guild).await?;
        self.alts.save(tx, guild).await
    }
}

/// raidbot's state that one batch's rows are decided against, with the batch's own
/// claims added as rows are accepted.
struct Batch {
    /// user → main IGN, for members raidbot has (or this batch adds).
    members: HashMap<i64, Option<String>>,
    /// IGN key → holder.
    owners: HashMap<String, i64>,
    new_members: Vec<ImportedMember>,
    new_alts: Vec<(Snowflake, String)>,
}

/// Imports one batch of the guild's `raider` rows (in source order).
pub(super) async fn import(
    tx: &mut PgConnection,
    guild: Snowflake,
    rows: &[&RaiderRow],
    keys: &mut MemberKeys,
    report: &mut GuildReport,
) -> anyhow::Result<()> {
    for chunk in rows.chunks(BATCH) {
        let users: Vec<i64> = chunk.iter().map(|r| r.user_id).collect();
        let names: Vec<String> = chunk
            .iter()
            .flat_map(|r| [r.ign.as_deref(), r.alt_ign.as_deref()])
            .flatten()
            .filter_map(|n| parse_ign(n).ok())
            .map(|n| ign_key(&n))
            .collect();
        let mut batch = Batch {
            members: store::import::members_of(tx, guild, &users)
                .await?
                .into_iter()
                .map(|(u, (_, main))| (u, main))
                .collect(),
            owners: store::import::ign_owners(tx, guild, &names).await?,
            new_members: Vec::new(),
            new_alts: Vec::new(),
        };
        for r in chunk {
            row(r, &mut batch, keys, report);
        }
        store::import::upsert_members(tx, guild, &batch.new_members).await?;
        store::import::add_alts(tx, guild, &batch.new_alts).await?;
    }
    Ok(())
}

fn row(r: &RaiderRow, batch: &mut Batch, keys: &mut MemberKeys, report: &mut GuildReport) {
    let id = r.user_id.to_string();
    report.table("raider").source += 1;
    let has_alt = r.alt_ign.as_deref().is_some_and(|a| !a.trim().is_empty());
    if has_alt {
        report.table("raider.alt_ign").source += 1;
    }
    if keys.members.seen(&id) {
        report.table("raider").already += 1;
        if has_alt && keys.alts.seen(&id) {
            report.table("raider.alt_ign").already += 1;
        } else if has_alt {
            alt(r, batch, keys, report);
        }
        return;
    }
    match member(r, batch) {
        Ok(()) => {
            keys.members.add(&id, None);
            report.table("raider").imported += 1;
            if has_alt {
                alt(r, batch, keys, report);
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

/// Decides one member; `Err(reason)` when the row cannot be mapped (nothing written).
fn member(r: &RaiderRow, batch: &mut Batch) -> Result<(), String> {
    let Ok(user) = Snowflake::from_db(r.user_id) else {
        return Err(format!("`{}` is not a Discord user id", r.user_id));
    };
    let status = status(&r.status);
    // Verified and banned members keep their name (a banned member's name stays taken).
    let ign = match r.ign.as_deref().map(str::trim).filter(|i| !i.is_empty()) {
        Some(ign) if status != "unverified" => match parse_ign(ign) {
            Ok(ign) => Some(String::from(ign)),
            Err(e) => return Err(format!("IGN: {}", bad_ign(&e, Style::Plain))),
        },
        _ => None,
    };
    let existing = batch.members.get(&r.user_id);
    if let Some(ign) = &ign {
        if let Some(&holder) = batch.owners.get(&ign_key(ign))
            && holder != r.user_id
        {
            return Err(format!(
                "IGN `{ign}` is already held by member {holder} in raidbot"
            ));
        }
        if let Some(Some(main)) = existing
            && !main.eq_ignore_ascii_case(ign)
        {
            return Err(format!(
                "raidbot already has `{main}` as this member's main IGN (the original has `{ign}`)"
            ));
        }
        batch.owners.insert(ign_key(ign), r.user_id);
    }
    let main = match existing {
        Some(main) => ign.clone().or_else(|| main.clone()),
        None => ign.clone(),
    };
    batch.members.insert(r.user_id, main);
    batch.new_members.push(ImportedMember {
        user_id: user,
        status,
        first_seen_at: r.created_at.or(r.verified_at).unwrap_or_else(Utc::now),
        verified_at: r.verified_at,
        main: ign,
    });
    Ok(())
}

fn alt(r: &RaiderRow, batch: &mut Batch, keys: &mut MemberKeys, report: &mut GuildReport) {
    let id = r.user_id.to_string();
    let t = report.table("raider.alt_ign");
    let raw = r.alt_ign.as_deref().unwrap_or_default().trim();
    let alt = match parse_ign(raw) {
        Ok(a) => String::from(a),
        Err(e) => {
            t.refuse(&id, format!("alt IGN: {}", bad_ign(&e, Style::Plain)));
            return;
        }
    };
    let Ok(user) = Snowflake::from_db(r.user_id) else {
        t.refuse(&id, "the member was not imported (see raider)");
        return;
    };
    if !batch.members.contains_key(&r.user_id) {
        t.refuse(&id, "the member was not imported (see raider)");
        return;
    }
    match batch.owners.get(&ign_key(&alt)) {
        Some(&holder) if holder != r.user_id => {
            t.refuse(
                &id,
                format!("alt IGN `{alt}` is already held by member {holder} in raidbot"),
            );
            return;
        }
        // The member holds it already: nothing to write.
        Some(_) => {}
        None => {
            batch.owners.insert(ign_key(&alt), r.user_id);
            batch.new_alts.push((user, alt.clone()));
        }
    }
    keys.alts.add(&id, Some(alt));
    t.imported += 1;
}
