//! The organizer panel's tools: location and party, description, join lock, pings, chain,
//! key pops, Oryx 3 stages and realm score. Each is done by the organizer or higher staff
//! under the run's lock.

use chrono::Utc;
use domain::catalog::catalog;
use domain::limits::{self, DESCRIPTION_MAX, LOCATION_MAX, PARTY_MAX};
use domain::o3::{self, Stage};
use domain::{ChannelKey, RunStatus, Snowflake};
use store::key_pops::{self, NewKeyPop};
use store::runs::{self as store_runs, Run, Setting};
use store::{PgConnection, PgPool, run_reactions};

use super::RunError;
use super::{closed, not_found, require_manager};
use crate::tasks::{self, Announcement, LogEvent, Note, Task};
use crate::{Actor, Result, ServiceError};

/// Default and longest key window: how long raiders can still come in after a pop.
pub const KEY_WINDOW_DEFAULT_SECS: i32 = 25;
pub const KEY_WINDOW_MAX_SECS: i32 = 300;
/// Longest chain an organizer can plan.
pub const CHAIN_MAX: i32 = 100;

fn text_error(e: limits::TextError) -> ServiceError {
    RunError::BadText(e).into()
}

/// Locks an active run for its manager.
async fn lock_managed(
    conn: &mut PgConnection,
    guild: Snowflake,
    run_id: i64,
    actor: &Actor,
) -> Result<Run> {
    let run = store_runs::lock(conn, guild, run_id)
        .await?
        .ok_or_else(|| not_found(run_id))?;
    require_manager(actor, &run)?;
    if !run.status.is_active() {
        return Err(closed(&run));
    }
    Ok(run)
}

fn require_live(run: &Run) -> Result<()> {
    if run.status == RunStatus::Live {
        Ok(())
    } else {
        Err(RunError::NotLive.into())
    }
}

/// Sets location and party together (empty clears). Raiders entitled to the location
/// early get it by DM; `early_loc` gets a new notice; `raid_log` records it.
pub async fn set_location(
    pool: &PgPool,
    guild: Snowflake,
    run_id: i64,
    actor: &Actor,
    location: Option<&str>,
    party: Option<&str>,
) -> Result<Run> {
    let location = limits::optional_text("Location", location, LOCATION_MAX).map_err(text_error)?;
    let party = limits::optional_text("Party", party, PARTY_MAX).map_err(text_error)?;
    let mut tx = pool.begin().await?;
    let run = lock_managed(&mut tx, guild, run_id, actor).await?;
    let changed = run.location != location || run.party != party;
    if changed {
        store_runs::set(&mut tx, guild, run_id, Setting::Location, location.clone()).await?;
        store_runs::set(&mut tx, guild, run_id, Setting::Party, party.clone()).await?;
        if location.is_some() {
            for user in run_reactions::early_members(&mut tx, guild, run_id).await? {
                let note = Note::EarlyLocation { run_id };
                tasks::queue(
                    &mut tx,
                    guild,
                    Task::Notify {
                        user_id: user,
                        note,
                    },
                    None,
                )
                .await?;
            }
            sqlx::query("UPDATE run_reaction SET location_sent_at = now() WHERE guild_id = $1 AND run_id = $2 AND early")
                .bind(guild.db())
                .bind(run_id)
                .execute(&mut *tx)
                .await?;
            tasks::log(
                &mut tx,
                guild,
                ChannelKey::EarlyLoc,
                LogEvent::LocationSet { run_id },
            )
            .await?;
        }
        tasks::log(
            &mut tx,
            guild,
            ChannelKey::RaidLog,
            LogEvent::LocationSet { run_id },
        )
        .await?;
        tasks::refresh_panel(&mut tx, guild, run_id).await?;
    }
    let run = store_runs::get(&mut tx, guild, run_id)
        .await?
        .ok_or_else(|| not_found(run_id))?;
    tx.commit().await?;
    Ok(run)
}

pub async fn set_description(
    pool: &PgPool,
    guild: Snowflake,
    run_id: i64,
    actor: &Actor,
    text: Option<&str>,
) -> Result<Run> {
    let text = limits::optional_text("Description", text, DESCRIPTION_MAX).map_err(text_error)?;
    let mut tx = pool.begin().await?;
    lock_managed(&mut tx, guild, run_id, actor).await?;
    store_runs::set(&mut tx, guild, run_id, Setting::Description, text).await?;
    tasks::refresh_panel(&mut tx, guild, run_id).await?;
    let run = store_runs::get(&mut tx, guild, run_id)
        .await?
        .ok_or_else(|| not_found(run_id))?;
    tx.commit().await?;
    Ok(run)
}

/// Locks or unlocks joining; returns the new state.
pub async fn toggle_join_lock(
    pool: &PgPool,
    guild: Snowflake,
    run_id: i64,
    actor: &Actor,
) -> Result<bool> {
    let mut tx = pool.begin().await?;
    let run = lock_managed(&mut tx, guild, run_id, actor).await?;
    let locked = !run.join_locked;
    store_runs::set(&mut tx, guild, run_id, Setting::JoinLocked, locked).await?;
    tasks::refresh_panel(&mut tx, guild, run_id).await?;
    tx.commit().await?;
    Ok(locked)
}

/// Mentions everyone in a live run with a link to the panel.
pub async fn ping_raiders(
    pool: &PgPool,
    guild: Snowflake,
    run_id: i64,
    actor: &Actor,
) -> Result<()> {
    let mut tx = pool.begin().await?;
    let run = lock_managed(&mut tx, guild, run_id, actor).await?;
    require_live(&run)?;
    tasks::queue(
        &mut tx,
        guild,
        Task::RunAnnounce {
            run_id,
            announcement: Announcement::PingRaiders,
        },
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Sets (or clears) how many keys the organizer plans to pop ("Chain 3/5").
pub async fn set_chain(
    pool: &PgPool,
    guild: Snowflake,
    run_id: i64,
    actor: &Actor,
    amount: Option<i32>,
) -> Result<()> {
    if let Some(a) = amount
        && !(1..=CHAIN_MAX).contains(&a)
    {
        return Err(RunError::BadChain.into());
    }
    let mut tx = pool.begin().await?;
    lock_managed(&mut tx, guild, run_id, actor).await?;
    store_runs::set(&mut tx, guild, run_id, Setting::ChainAmount, amount).await?;
    tasks::refresh_panel(&mut tx, guild, run_id).await?;
    tx.commit().await?;
    Ok(())
}

/// What logging a key pop did.
#[derive(Debug, Clone)]
pub struct KeyPop {
    pub pop_id: i64,
    /// Keys popped in the run so far, including this one.
    pub total: i64,
    pub chain_amount: Option<i32>,
    /// The key window opened by a single pop, in seconds; none for several keys at once.
    pub window_secs: Option<i32>,
    /// The key's name when the organizer named one other than the dungeon's own.
    pub key_name: Option<String>,
}

/// Longest custom key name.
pub const KEY_NAME_MAX: usize = 50;

/// What the organizer logs: who popped, how many, the key window for a single pop
/// (default [`KEY_WINDOW_DEFAULT_SECS`]) and optionally the key's own name.
#[derive(Debug, Clone)]
pub struct KeyPopRequest {
    pub popper: Snowflake,
    pub count: i32,
    pub window_secs: Option<i32>,
    pub key_name: Option<String>,
}

impl KeyPopRequest {
    /// One key of the dungeon's own, with the default window.
    pub fn one(popper: Snowflake) -> KeyPopRequest {
        KeyPopRequest {
            popper,
            count: 1,
            window_secs: None,
            key_name: None,
        }
    }
}

/// The popper popped `count` keys during the live run. The raiders joined right now are
/// recorded with the pop (their completions are credited when the run ends). A single pop
/// (count 1) opens a key window of `window_secs` and is announced.
pub async fn key_popped(
    pool: &PgPool,
    guild: Snowflake,
    run_id: i64,
    actor: &Actor,
    req: KeyPopRequest,
) -> Result<KeyPop> {
    let KeyPopRequest {
        popper,
        count,
        window_secs,
        key_name,
    } = req;
    if !(1..=99).contains(&count) {
        return Err(RunError::BadKeyCount.into());
    }
    let window = window_secs.unwrap_or(KEY_WINDOW_DEFAULT_SECS);
    if !(1..=KEY_WINDOW_MAX_SECS).contains(&window) {
        return Err(RunError::BadKeyWindow.into());
    }
    let key_name =
        limits::optional_text("Key name", key_name.as_deref(), KEY_NAME_MAX).map_err(text_error)?;
    let mut tx = pool.begin().await?;
    let run = lock_managed(&mut tx, guild, run_id, actor).await?;
    require_live(&run)?;
    let key = catalog()
        .dungeon(&run.dungeon_code)
        .and_then(|d| d.keys.first().map(|k| k.reaction.clone()));
    let pop_id = key_pops::record(
        &mut tx,
        &NewKeyPop {
            guild_id: guild,
            run_id: Some(run_id),
            user_id: popper,
            dungeon_code: run.dungeon_code.clone(),
            reaction: key,
            count,
            logged_by: actor.user_id,
            key_name: key_name.clone(),
        },
    )
    .await?;
    if count == 1 {
        let until = Utc::now() + chrono::Duration::seconds(i64::from(window));
        store_runs::set(
            &mut tx,
            guild,
            run_id,
            Setting::KeyWindowEndsAt,
            Some(until),
        )
        .await?;
        tasks::queue(
            &mut tx,
            guild,
            Task::RunAnnounce {
                run_id,
                announcement: Announcement::KeyPopped { pop_id },
            },
            None,
        )
        .await?;
        // The panel drops the "portal open" line when the window closes.
        let closes = until + chrono::Duration::milliseconds(200);
        tasks::queue(
            &mut tx,
            guild,
            Task::RunKeyWindowClosed { run_id },
            Some(closes),
        )
        .await?;
    }
    tasks::log(
        &mut tx,
        guild,
        ChannelKey::RaidLog,
        LogEvent::KeyPopped { run_id, pop_id },
    )
    .await?;
    tasks::refresh_panel(&mut tx, guild, run_id).await?;
    let run = store_runs::get(&mut tx, guild, run_id)
        .await?
        .ok_or_else(|| not_found(run_id))?;
    tx.commit().await?;
    Ok(KeyPop {
        pop_id,
        total: run.keys_popped,
        chain_amount: run.chain_amount,
        window_secs: (count == 1).then_some(window),
        key_name,
    })
}

/// Announces the next Oryx 3 stage (the miniboss stage names which one).
pub async fn o3_stage(
    pool: &PgPool,
    guild: Snowflake,
    run_id: i64,
    actor: &Actor,
    stage: Stage,
    miniboss: Option<&str>,
) -> Result<()> {
    let mut tx = pool.begin().await?;
    let run = lock_managed(&mut tx, guild, run_id, actor).await?;
    if run.dungeon_code != o3::DUNGEON {
        return Err(RunError::NotOryx3.into());
    }
    let current = run.o3_stage.as_deref().and_then(Stage::parse);
    if !stage.may_follow(current) {
        return Err(RunError::O3StageOrder.into());
    }
    if stage == Stage::Miniboss {
        let boss = miniboss
            .and_then(o3::miniboss)
            .ok_or(RunError::UnknownMiniboss)?;
        store_runs::set(&mut tx, guild, run_id, Setting::O3Miniboss, Some(boss)).await?;
    }
    store_runs::set(
        &mut tx,
        guild,
        run_id,
        Setting::O3Stage,
        Some(stage.as_str()),
    )
    .await?;
    tasks::queue(
        &mut tx,
        guild,
        Task::RunAnnounce {
            run_id,
            announcement: Announcement::O3Stage,
        },
        None,
    )
    .await?;
    tasks::refresh_panel(&mut tx, guild, run_id).await?;
    tx.commit().await?;
    Ok(())
}

/// Records and announces a realm dungeon's realm score (1–99 %).
pub async fn realm_score(
    pool: &PgPool,
    guild: Snowflake,
    run_id: i64,
    actor: &Actor,
    score: i32,
) -> Result<()> {
    let score = i16::try_from(score)
        .ok()
        .filter(|s| (1..=99).contains(s))
        .ok_or(RunError::BadScore)?;
    let mut tx = pool.begin().await?;
    let run = lock_managed(&mut tx, guild, run_id, actor).await?;
    if !catalog()
        .dungeon(&run.dungeon_code)
        .is_some_and(|d| d.is_realm_dungeon())
    {
        return Err(RunError::NotRealmDungeon.into());
    }
    store_runs::set(&mut tx, guild, run_id, Setting::RealmScore, Some(score)).await?;
    tasks::queue(
        &mut tx,
        guild,
        Task::RunAnnounce {
            run_id,
            announcement: Announcement::RealmScore,
        },
        None,
    )
    .await?;
    tasks::refresh_panel(&mut tx, guild, run_id).await?;
    tx.commit().await?;
    Ok(())
}

/// Attaches the completion screenshot (a full-screen image with `/who` and `/server`
/// visible) to the organizer's active run; one per run.
pub async fn attach_screenshot(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    url: &str,
    content_type: Option<&str>,
) -> Result<Run> {
    actor.require(domain::RoleKey::Organizer)?;
    let organizer = actor.user_id.ok_or(RunError::ScreenshotNeedsMember)?;
    if !content_type.is_some_and(|t| t.starts_with("image/")) {
        return Err(RunError::NotAnImage.into());
    }
    let mut tx = pool.begin().await?;
    let active = store_runs::active_for_organizer(&mut tx, guild, organizer)
        .await?
        .ok_or(RunError::NoActiveRun)?;
    let run = lock_managed(&mut tx, guild, active.run_id, actor).await?;
    if run.screenshot_url.is_some() {
        return Err(RunError::ScreenshotExists.into());
    }
    store_runs::set(
        &mut tx,
        guild,
        run.run_id,
        Setting::ScreenshotUrl,
        Some(url.to_owned()),
    )
    .await?;
    tasks::log(
        &mut tx,
        guild,
        ChannelKey::RaidLog,
        LogEvent::ScreenshotTaken { run_id: run.run_id },
    )
    .await?;
    tasks::refresh_panel(&mut tx, guild, run.run_id).await?;
    let run = store_runs::get(&mut tx, guild, run.run_id)
        .await?
        .ok_or_else(|| not_found(run.run_id))?;
    tx.commit().await?;
    Ok(run)
}
