//! Run side effects on Discord: setting a run up (role, panel, ping), refreshing its panel,
//! keeping members' run roles in step, announcements, DMs, and cleaning up after it closes.

use domain::Snowflake;
use service::runs::delivery::{self, RoleWork};
use service::runs::{Run, RunDetail};
use service::tasks::{Announcement, Note};
use twilight_model::id::Id;

use super::{JobError, channel_id};
use crate::discord::Failure;
use crate::{Ctx, views};

fn snowflake(id: u64) -> Result<Snowflake, JobError> {
    Snowflake::new(id).map_err(|e| JobError::Discord(Failure::Transient(e.to_string())))
}

fn panel_link(guild: Snowflake, run: &Run) -> String {
    match (run.panel_channel_id, run.panel_message_id) {
        (Some(c), Some(m)) => format!("https://discord.com/channels/{guild}/{c}/{m}"),
        _ => String::new(),
    }
}

/// A "gone" answer for something we wanted gone anyway counts as done.
fn ignore_gone(result: Result<(), JobError>, codes: &[u64]) -> Result<(), JobError> {
    match result {
        Err(JobError::Discord(Failure::Permanent { code, .. })) if codes.contains(&code) => Ok(()),
        other => other,
    }
}

/// Sets a new run up, each step once (a retried job skips what is done): the run role,
/// the panel, then the ping above it. A run role the bot may not create does not stop
/// the panel: staff are told in bot_log.
pub async fn post_panel(ctx: &Ctx, guild: Snowflake, run_id: i64) -> Result<(), JobError> {
    let detail = service::runs::get(&ctx.pool, guild, run_id).await?;
    let run = &detail.run;
    if !run.status.is_active() && run.panel_message_id.is_none() {
        return Ok(());
    }
    let Some(channel) = run.panel_channel_id else {
        return Ok(());
    };
    let mut role = run.run_role_id;
    if role.is_none() && run.panel_message_id.is_none() {
        role = create_run_role(ctx, guild, run).await?;
    }
    let mut message_id = run.panel_message_id;
    if message_id.is_none() {
        let embeds = [views::runs::panel_embed(&detail)];
        let components = views::runs::panel_components(run);
        let message = crate::discord::create_message_once(
            &ctx.http,
            channel_id(channel),
            ctx.http
                .create_message(channel_id(channel))
                .embeds(&embeds)
                .components(&components),
        )
        .await?
        .model()
        .await?;
        let id = snowflake(message.id.get())?;
        service::runs::panel_posted(&ctx.pool, guild, run_id, channel, id).await?;
        message_id = Some(id);
        // Joins that came in while the panel was being posted are shown by a refresh.
        let latest = service::runs::get(&ctx.pool, guild, run_id).await?;
        if latest.participants != detail.participants || latest.run.status != run.status {
            delivery::queue_refresh(&ctx.pool, guild, run_id).await?;
        }
    }
    if run.ping_message_id.is_none() {
        let dungeon_role =
            service::role_pings::ping_role(&ctx.pool, guild, &run.dungeon_code).await?;
        let link = match message_id {
            Some(m) => format!("https://discord.com/channels/{guild}/{channel}/{m}"),
            None => panel_link(guild, run),
        };
        let content = views::runs::run_ping(
            run,
            role.map(Snowflake::get),
            dungeon_role.map(Snowflake::get),
            &link,
        );
        let ping = crate::discord::create_message_once(
            &ctx.http,
            channel_id(channel),
            ctx.http
                .create_message(channel_id(channel))
                .content(&content),
        )
        .await?
        .model()
        .await?;
        delivery::ping_posted(&ctx.pool, guild, run_id, snowflake(ping.id.get())?).await?;
    }
    Ok(())
}

/// Creates the run role and records it; None when Discord refuses (reported to staff).
async fn create_run_role(
    ctx: &Ctx,
    guild: Snowflake,
    run: &Run,
) -> Result<Option<Snowflake>, JobError> {
    let name = views::runs::run_role_name(run);
    let created = ctx
        .http
        .create_role(Id::new(guild.get()))
        .name(&name)
        .mentionable(true)
        .await;
    let role = match created {
        Ok(r) => r.model().await?,
        Err(e) => {
            return match crate::discord::classify(&e) {
                Failure::Permanent { reason, .. } => {
                    let what = format!(
                        "Creating the role of run #{}; the run goes on without one.",
                        run.run_id
                    );
                    crate::dispatcher::report(ctx, guild, what, &reason).await;
                    Ok(None)
                }
                other => Err(JobError::Discord(other)),
            };
        }
    };
    let id = snowflake(role.id.get())?;
    delivery::run_role_created(&ctx.pool, guild, run.run_id, id).await?;
    Ok(Some(id))
}

/// Least time between two edits of one panel: Discord allows about five message edits per
/// five seconds in a channel, and several panels can share one.
pub const PANEL_EDIT_SPACING: std::time::Duration = service::tasks::PANEL_COALESCE;

pub async fn refresh_panel(ctx: &Ctx, guild: Snowflake, run_id: i64) -> Result<(), JobError> {
    let last = delivery::last_panel_edit(&ctx.pool, guild, run_id).await?;
    if let Some(since) = last.and_then(|t| (chrono::Utc::now() - t).to_std().ok())
        && since < PANEL_EDIT_SPACING
    {
        return Err(JobError::Later(PANEL_EDIT_SPACING - since));
    }
    let detail = service::runs::get(&ctx.pool, guild, run_id).await?;
    let run = &detail.run;
    let (Some(channel), Some(message)) = (run.panel_channel_id, run.panel_message_id) else {
        return Err(JobError::NotYet("the panel is not posted yet"));
    };
    let embeds = [views::runs::panel_embed(&detail)];
    let components = views::runs::panel_components(run);
    crate::discord::pace_channel_write(channel_id(channel)).await;
    let edited = ctx
        .http
        .update_message(channel_id(channel), Id::new(message.get()))
        .embeds(Some(&embeds))
        .components(Some(&components))
        .await;
    match edited.map_err(JobError::from) {
        Ok(_) => {
            metrics::counter!("raidbot_panel_edits_total").increment(1);
            Ok(())
        }
        Err(JobError::Discord(Failure::Permanent { code: 10008, .. }))
            if run.status.is_active() =>
        {
            repost_panel(ctx, guild, run_id).await
        }
        // A closed run's panel deleted by hand needs nothing more.
        Err(JobError::Discord(Failure::Permanent { code: 10008, .. })) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Someone deleted an active run's panel: post it again (its buttons name the run, so
/// nothing is lost) and tell staff.
async fn repost_panel(ctx: &Ctx, guild: Snowflake, run_id: i64) -> Result<(), JobError> {
    delivery::panel_lost(&ctx.pool, guild, run_id).await?;
    let what = format!("The panel of run #{run_id} was deleted; it has been posted again.");
    crate::dispatcher::report(ctx, guild, what, "the message was deleted").await;
    Ok(())
}

/// Gives and takes the run role so its holders match the run's roster (joined or benched
/// hold it): one slice of the difference per job, recorded after its calls (also when one
/// fails), the next slice queued with the record. Giving and taking a role are idempotent
/// on Discord, so a job retried after a crash between a call and its record repeats only
/// harmless calls.
pub async fn sync_roles(ctx: &Ctx, guild: Snowflake, run_id: i64) -> Result<(), JobError> {
    let (role, give, take, more) = match delivery::role_work(&ctx.pool, guild, run_id).await? {
        RoleWork::Nothing => return Ok(()),
        RoleWork::NotYet => return Err(JobError::NotYet("the run role is not created yet")),
        RoleWork::Changes {
            role,
            give,
            take,
            more,
        } => (role, give, take, more),
    };
    let (g, r) = (Id::new(guild.get()), Id::new(role.get()));
    let (mut given, mut taken) = (Vec::new(), Vec::new());
    let mut failed = None;
    for (user, holds) in give
        .iter()
        .map(|u| (*u, true))
        .chain(take.iter().map(|u| (*u, false)))
    {
        let u = Id::new(user.get());
        let result = if holds {
            ctx.http.add_guild_member_role(g, u, r).await.map(|_| ())
        } else {
            ctx.http.remove_guild_member_role(g, u, r).await.map(|_| ())
        };
        // A member who left the server needs nothing more; nor does taking a role that is
        // gone.
        let codes: &[u64] = if holds { &[10007] } else { &[10007, 10011] };
        match ignore_gone(result.map_err(JobError::from), codes) {
            Ok(()) => {}
            // The role itself is gone: made again below, and given to everyone.
            Err(e @ JobError::Discord(Failure::Permanent { code: 10011, .. })) => {
                failed = Some(e);
                break;
            }
            // Discord refuses this member (e.g. their top role is above the bot's): staff
            // are told once, and the member counts as done so the next job does not ask
            // again; the run and everyone else go on.
            Err(JobError::Discord(Failure::Permanent { reason, .. })) => {
                let what = if holds {
                    format!("Giving <@{user}> the role of run #{run_id}.")
                } else {
                    format!("Taking the role of run #{run_id} from <@{user}>.")
                };
                crate::dispatcher::report(ctx, guild, what, &reason).await;
            }
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
        if holds {
            given.push(user);
        } else {
            taken.push(user);
        }
    }
    delivery::roles_changed(
        &ctx.pool,
        guild,
        run_id,
        &given,
        &taken,
        more && failed.is_none(),
    )
    .await?;
    match failed {
        None => Ok(()),
        Some(JobError::Discord(Failure::Permanent { code: 10011, .. })) => {
            recreate_run_role(ctx, guild, run_id, role).await
        }
        Some(e) => Err(e),
    }
}

/// The run role was deleted behind our back while the run is on: make a new one (the job
/// queued by [`delivery::run_role_lost`] gives it to everyone in the run), and tell staff.
async fn recreate_run_role(
    ctx: &Ctx,
    guild: Snowflake,
    run_id: i64,
    old: Snowflake,
) -> Result<(), JobError> {
    delivery::run_role_lost(&ctx.pool, guild, run_id, old).await?;
    let run = service::runs::get(&ctx.pool, guild, run_id).await?.run;
    if !run.status.is_active() {
        return Ok(());
    }
    let Some(_new) = create_run_role(ctx, guild, &run).await? else {
        return Ok(());
    };
    let what =
        format!("The role of run #{run_id} was deleted; a new one was made and given again.");
    crate::dispatcher::report(ctx, guild, what, "the role was deleted").await;
    Ok(())
}

/// After a run closes: delete its pings and the run role raidbot created (and only that).
pub async fn cleanup(ctx: &Ctx, guild: Snowflake, run_id: i64) -> Result<(), JobError> {
    let run = service::runs::get(&ctx.pool, guild, run_id).await?.run;
    if let Some(channel) = run.panel_channel_id {
        for message in [run.ping_message_id, run.o3_ping_message_id]
            .into_iter()
            .flatten()
        {
            let r = ctx
                .http
                .delete_message(channel_id(channel), Id::new(message.get()))
                .await
                .map(|_| ());
            ignore_gone(r.map_err(JobError::from), &[10003, 10008])?;
        }
    }
    if let Some(role) = run.run_role_id
        && delivery::role_is_ours(&ctx.pool, guild, role).await?
    {
        let r = ctx
            .http
            .delete_role(Id::new(guild.get()), Id::new(role.get()))
            .await
            .map(|_| ());
        ignore_gone(r.map_err(JobError::from), &[10011])?;
        delivery::role_deleted(&ctx.pool, guild, role).await?;
    }
    Ok(())
}

/// A private message to a member.
pub async fn notify(
    ctx: &Ctx,
    guild: Snowflake,
    user: Snowflake,
    note: &Note,
) -> Result<(), JobError> {
    let run_id = match note {
        Note::PromotedFromBench { run_id }
        | Note::RemovedFromRun { run_id, .. }
        | Note::EarlyLocation { run_id } => *run_id,
    };
    let run = service::runs::get(&ctx.pool, guild, run_id).await?.run;
    let text = match note {
        Note::PromotedFromBench { .. } => views::runs::promoted_dm(&run),
        Note::RemovedFromRun { reason, .. } => views::runs::removed_dm(&run, reason),
        Note::EarlyLocation { .. } => views::runs::early_location_dm(&run),
    };
    let channel = ctx
        .http
        .create_private_channel(Id::new(user.get()))
        .await?
        .model()
        .await?;
    crate::discord::create_message_once(
        &ctx.http,
        channel.id,
        ctx.http.create_message(channel.id).content(&text),
    )
    .await?;
    Ok(())
}

/// A public announcement in the run's channel, mentioning the run role.
pub async fn announce(
    ctx: &Ctx,
    guild: Snowflake,
    run_id: i64,
    announcement: &Announcement,
) -> Result<(), JobError> {
    let detail: RunDetail = service::runs::get(&ctx.pool, guild, run_id).await?;
    let run = &detail.run;
    let Some(channel) = run.panel_channel_id else {
        return Ok(());
    };
    let role = run.run_role_id.map(Snowflake::get);
    let content = match announcement {
        Announcement::PingRaiders => views::runs::ping_raiders(run, role, &panel_link(guild, run)),
        Announcement::KeyPopped { pop_id } => {
            let popper = delivery::key_pop(&ctx.pool, guild, *pop_id).await?;
            let (popper, key_name) = match popper {
                Some(p) => (p.user_id.get(), p.key_name),
                None => (run.organizer_id.get(), None),
            };
            views::runs::key_popped_ping(run, role, popper, key_name.as_deref())
        }
        Announcement::O3Stage => views::runs::o3_ping(run, role),
        Announcement::RealmScore => views::runs::realm_score_ping(run, role),
    };
    let posted = crate::discord::create_message_once(
        &ctx.http,
        channel_id(channel),
        ctx.http
            .create_message(channel_id(channel))
            .content(&content),
    )
    .await?
    .model()
    .await?;
    if *announcement == Announcement::O3Stage {
        // Each stage replaces the previous stage's ping.
        if let Some(previous) = run.o3_ping_message_id {
            let r = ctx
                .http
                .delete_message(channel_id(channel), Id::new(previous.get()))
                .await
                .map(|_| ());
            ignore_gone(r.map_err(JobError::from), &[10003, 10008])?;
        }
        delivery::o3_ping_posted(&ctx.pool, guild, run_id, snowflake(posted.id.get())?).await?;
    }
    Ok(())
}
