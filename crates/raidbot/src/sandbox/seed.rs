//! The community a fresh sandbox starts with: a server "Raid Sandbox" with the roles and
//! channels raidbot's features need, 40 members of every kind, and raidbot configured the
//! way an administrator would, through its own slash commands.

use discord_sim::{ChannelId, ChannelKind, CommandOption, DiscordSim, GuildId, RoleId, UserId};
use domain::{ChannelKey, RoleKey};

use super::persist::{self, RealmeyePage};

pub const GUILD_NAME: &str = "Raid Sandbox";

/// Discord's Administrator permission bit.
const ADMINISTRATOR: u64 = 1 << 3;

/// The roles, highest first, with the role key each stands for. The bot's own role sits
/// above them all (position 10), as the setup guide tells server owners to place it.
const ROLES: [(&str, RoleKey, i64, u32); 10] = [
    ("Administrator", RoleKey::Administrator, 9, 0xE74C3C),
    ("Moderator", RoleKey::Moderator, 8, 0xE67E22),
    ("Head Organizer", RoleKey::HeadOrganizer, 7, 0xF1C40F),
    ("Officer", RoleKey::Officer, 6, 0x9B59B6),
    ("Security", RoleKey::Security, 5, 0x3498DB),
    ("Raid Leader", RoleKey::Organizer, 4, 0x2ECC71),
    ("Team", RoleKey::Team, 3, 0x1ABC9C),
    ("Verified Raider", RoleKey::VerifiedRaider, 2, 0x95A5A6),
    ("Suspended", RoleKey::Suspended, 1, 0x607D8B),
    ("Muted", RoleKey::Muted, 1, 0x34495E),
];

/// Channels: (name, kind, the channel key raidbot posts there under, if any).
const CHANNELS: [(&str, ChannelKind, Option<ChannelKey>); 19] = [
    ("general", ChannelKind::Text, None),
    (
        "get-verified",
        ChannelKind::Text,
        Some(ChannelKey::Getverified),
    ),
    ("raids", ChannelKind::Text, Some(ChannelKey::Raid)),
    (
        "party-finder",
        ChannelKind::Text,
        Some(ChannelKey::PartyFinder),
    ),
    ("role-pings", ChannelKind::Text, Some(ChannelKey::RolePing)),
    ("quota", ChannelKind::Text, Some(ChannelKey::Quota)),
    ("staff-commands", ChannelKind::Text, None),
    (
        "early-location",
        ChannelKind::Text,
        Some(ChannelKey::EarlyLoc),
    ),
    (
        "manual-verification",
        ChannelKind::Text,
        Some(ChannelKey::ManualVerification),
    ),
    ("modmail", ChannelKind::Forum, Some(ChannelKey::Modmail)),
    ("raid-log", ChannelKind::Text, Some(ChannelKey::RaidLog)),
    ("veri-log", ChannelKind::Text, Some(ChannelKey::VeriLog)),
    (
        "punishment-log",
        ChannelKind::Text,
        Some(ChannelKey::PunishmentLog),
    ),
    ("quota-log", ChannelKind::Text, Some(ChannelKey::QuotaLog)),
    ("bot-log", ChannelKind::Text, Some(ChannelKey::BotLog)),
    (
        "staff-updates",
        ChannelKind::Text,
        Some(ChannelKey::StaffUpdates),
    ),
    ("Raid Voice 1", ChannelKind::Voice, None),
    ("Raid Voice 2", ChannelKind::Voice, None),
    ("Lounge", ChannelKind::Voice, None),
];

/// Staff: (name, roles).
const STAFF: [(&str, &[RoleKey]); 7] = [
    ("Aurelia", &[RoleKey::Administrator]),
    ("Galewind", &[RoleKey::Moderator]),
    ("Fenwick", &[RoleKey::HeadOrganizer]),
    ("Brakken", &[RoleKey::Officer]),
    ("Castellan", &[RoleKey::Security]),
    ("Duskmire", &[RoleKey::Organizer]),
    ("Everlight", &[RoleKey::Organizer]),
];

/// Verified raiders; the last one has closed DMs.
const RAIDERS: [&str; 32] = [
    "Ashgrave",
    "Bramblefox",
    "Cinderwisp",
    "Duneskip",
    "Emberjaw",
    "Frostling",
    "Gloomhex",
    "Hollowpine",
    "Ironquill",
    "Jadeveil",
    "Kestrelle",
    "Lumenfang",
    "Mireheart",
    "Nightoak",
    "Onyxclaw",
    "Palerune",
    "Quillon",
    "Ravenmoor",
    "Stormveil",
    "Thistle",
    "Umbrawing",
    "Vexbolt",
    "Wyrmtail",
    "Yarrowind",
    "Zephyrix",
    "Briarwood",
    "Coldspur",
    "Driftmoon",
    "Elmshade",
    "Fennrock",
    "Gildmaw",
    "Quietus",
];

/// A newcomer who has not verified yet (with a RealmEye page ready to put a code in).
pub const NEWCOMER: &str = "Newblade";

/// What [`create_world`] made, for [`configure`].
pub struct World {
    pub guild: GuildId,
    pub owner: UserId,
    pub roles: Vec<(RoleKey, RoleId)>,
    pub channels: Vec<(ChannelKey, ChannelId)>,
    pub staff_channel: ChannelId,
    /// Everyone to verify: (user, in-game name).
    pub verified: Vec<(UserId, &'static str)>,
}

/// Discord's side of the community (no bot needed yet).
pub fn create_world(sim: &DiscordSim) -> World {
    let owner = sim.create_user(STAFF[0].0);
    let guild = sim.create_guild(GUILD_NAME, owner);
    let roles: Vec<(RoleKey, RoleId)> = ROLES
        .iter()
        .map(|(name, key, position, colour)| {
            let perms = if *key == RoleKey::Administrator {
                ADMINISTRATOR
            } else {
                0
            };
            let id = sim.create_role(guild, name, perms, *position);
            sim.set_role_colour(guild, id, *colour);
            (*key, id)
        })
        .collect();
    let role = |key: RoleKey| roles.iter().find(|(k, _)| *k == key).map(|(_, r)| *r);
    let mut channels = Vec::new();
    let mut staff_channel = None;
    for (name, kind, key) in CHANNELS {
        let id = sim.create_channel(guild, name, kind);
        if let Some(key) = key {
            channels.push((key, id));
        }
        if name == "staff-commands" {
            staff_channel = Some(id);
        }
    }
    let mut verified = Vec::new();
    for (i, (name, keys)) in STAFF.iter().enumerate() {
        let user = if i == 0 { owner } else { sim.create_user(name) };
        let mut member_roles: Vec<RoleId> = keys.iter().filter_map(|k| role(*k)).collect();
        if i > 0 {
            member_roles.extend(role(RoleKey::Team));
            member_roles.extend(role(RoleKey::VerifiedRaider));
        }
        sim.add_member(guild, user, &member_roles);
        verified.push((user, *name));
    }
    let raider_role: Vec<RoleId> = role(RoleKey::VerifiedRaider).into_iter().collect();
    for name in RAIDERS {
        let user = sim.create_user(name);
        sim.add_member(guild, user, &raider_role);
        verified.push((user, name));
    }
    if let Some((last, _)) = verified.last() {
        sim.set_dms_closed(*last, true);
    }
    let newcomer = sim.create_user(NEWCOMER);
    sim.add_member(guild, newcomer, &[]);
    World {
        guild,
        owner,
        roles,
        channels,
        staff_channel: staff_channel.unwrap_or(ChannelId(guild.0)),
        verified,
    }
}

/// The owner configures raidbot through its commands, as an administrator would; then the
/// newcomer's RealmEye page is ready. A refused command is logged and the rest goes on.
pub async fn configure(sim: &DiscordSim, world: &World, pool: &store::PgPool) {
    let run = |name: &'static str, options: Vec<CommandOption>| async move {
        let res = sim
            .run_command(world.guild, world.staff_channel, world.owner, name, options)
            .await;
        if res.is_ok() {
            tracing::info!(command = name, "sandbox set-up");
        } else {
            tracing::warn!(command = name, outcome = ?res.kind, "a sandbox set-up command failed");
        }
    };
    run(
        "setroles",
        world
            .roles
            .iter()
            .map(|(k, r)| CommandOption::role(k.as_str(), *r))
            .collect(),
    )
    .await;
    run(
        "setchannels",
        world
            .channels
            .iter()
            .map(|(k, c)| CommandOption::channel(k.as_str(), *c))
            .collect(),
    )
    .await;
    let lines: Vec<String> = world
        .verified
        .iter()
        .map(|(user, ign)| format!("{user} {ign}"))
        .collect();
    run(
        "syncteam",
        vec![CommandOption::string("lines", &lines.join("; "))],
    )
    .await;
    run(
        "configverification",
        vec![
            CommandOption::bool("realmeye", true),
            CommandOption::bool("screenshot", true),
            CommandOption::string(
                "message",
                "Welcome to Raid Sandbox! Press a button below to verify your in-game name. \
                 (Sandbox: edit your RealmEye description in the RealmEye panel.)",
            ),
            CommandOption::bool("post_panel", true),
        ],
    )
    .await;
    if let Some((_, organizer)) = world.roles.iter().find(|(k, _)| *k == RoleKey::Organizer) {
        run("configquota", vec![CommandOption::role("role", *organizer)]).await;
    }
    let page = RealmeyePage {
        ign: NEWCOMER.to_owned(),
        lines: vec![
            "New to raiding, say hi!".to_owned(),
            String::new(),
            String::new(),
        ],
        private: false,
    };
    if let Err(e) = persist::put_realmeye_page(pool, &page).await {
        tracing::warn!(error = %e, "the newcomer's RealmEye page was not saved");
    }
}
