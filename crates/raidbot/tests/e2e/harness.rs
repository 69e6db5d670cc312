//! `World`: one guild in the simulated Discord with an admin, an organizer and raiders,
//! the real bot connected to it, and a fresh database. Also what the process tests
//! (`shards.rs`, `replica.rs`, `process.rs`, `chaos.rs`) share: a [`Community`] seeded in
//! any guild, `raidbot` started as a process ([`raidbot`], [`Proc`], [`free_port`]), and
//! [`drain_outbox`].

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use discord_sim::{
    ChannelId, ChannelKind, CommandOption, DiscordSim, GuildId, InteractionResult, Message,
    ResponseKind, RoleId, SimConfig, UserId,
};
use store::testing::TestDb;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use twilight_model::id::Id;

pub const WAIT: Duration = Duration::from_secs(10);
/// Discord's Administrator permission bit.
pub const ADMINISTRATOR: u64 = 1 << 3;

/// One raiding community in a simulated guild: an admin, an organizer, raiders, the
/// organizer and raider roles, and the raid and raid-log channels.
pub struct Community {
    pub guild: GuildId,
    pub admin: UserId,
    pub organizer: UserId,
    pub raiders: Vec<UserId>,
    pub organizer_role: RoleId,
    pub raider_role: RoleId,
    pub raid: ChannelId,
    pub raid_log: ChannelId,
}

impl Community {
    /// Creates the roles, members and channels in `guild`. `tag` tells the users of several
    /// communities apart (`admin{tag}`, `raider{tag}_{i}`); with "" they are `admin`,
    /// `organizer` and `raider{i}`.
    pub fn create(sim: &DiscordSim, guild: GuildId, tag: &str, raiders: usize) -> Community {
        let admin_role = sim.create_role(guild, "Admins", ADMINISTRATOR, 5);
        let organizer_role = sim.create_role(guild, "Raid Leader", 0, 4);
        let raider_role = sim.create_role(guild, "Verified Raider", 0, 2);
        let admin = sim.create_user(&format!("admin{tag}"));
        sim.add_member(guild, admin, &[admin_role]);
        let organizer = sim.create_user(&format!("organizer{tag}"));
        sim.add_member(guild, organizer, &[organizer_role, raider_role]);
        let raiders = (0..raiders)
            .map(|i| {
                let name = if tag.is_empty() {
                    format!("raider{i}")
                } else {
                    format!("raider{tag}_{i}")
                };
                let u = sim.create_user(&name);
                sim.add_member(guild, u, &[raider_role]);
                u
            })
            .collect();
        Community {
            guild,
            admin,
            organizer,
            raiders,
            organizer_role,
            raider_role,
            raid: sim.create_channel(guild, "raids", ChannelKind::Text),
            raid_log: sim.create_channel(guild, "raid-log", ChannelKind::Text),
        }
    }

    /// The admin maps the organizer and raider roles and the raid and raid_log channels.
    pub async fn configure(&self, sim: &DiscordSim) {
        for (name, options) in [
            (
                "setroles",
                vec![
                    CommandOption::role("organizer", self.organizer_role),
                    CommandOption::role("verified_raider", self.raider_role),
                ],
            ),
            (
                "setchannels",
                vec![
                    CommandOption::channel("raid", self.raid),
                    CommandOption::channel("raid_log", self.raid_log),
                ],
            ),
        ] {
            let res = sim
                .run_command(self.guild, self.raid, self.admin, name, options)
                .await;
            assert!(res.is_ok(), "{name} in {}: {:?}", self.guild, res.kind);
        }
    }
}

/// A free TCP port on loopback, for a process's `API_BIND`.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// `raidbot <args>` against the simulated Discord and the database at `db_url`, as every
/// process test starts it: RealmEye at an address nothing answers, the service key
/// `test-key`, warnings only, its output discarded. Set more variables (or override these)
/// on the command.
pub fn raidbot(sim: &DiscordSim, db_url: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_raidbot"));
    cmd.args(args)
        .current_dir(std::env::temp_dir())
        .env("DATABASE_URL", db_url)
        .env("DISCORD_TOKEN", sim.bot_token())
        .env(
            "DISCORD_API_BASE",
            format!("http://{}", sim.http_proxy_addr()),
        )
        .env("DISCORD_GATEWAY_URL", sim.gateway_url())
        .env("REALMEYE_BASE_URL", "http://127.0.0.1:9")
        .env("API_SERVICE_KEY", "test-key")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

/// A child process, killed (SIGKILL: no shutdown, no cleanup) when dropped.
pub struct Proc(Child);

impl Proc {
    pub fn spawn(cmd: &mut Command) -> Proc {
        Proc(cmd.spawn().expect("raidbot starts"))
    }

    /// SIGKILL now.
    pub fn kill(mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits until no job is running and none is due within a second, seen twice 300 ms
/// apart (processes in other tests share nothing with this one but the database).
pub async fn drain_outbox(pool: &store::PgPool) {
    let started = Instant::now();
    let mut quiet = 0;
    while quiet < 2 {
        let busy: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM job
              WHERE state = 'running' OR (state = 'pending' AND due_at <= now() + interval '1 second')",
        )
        .fetch_one(pool)
        .await
        .unwrap();
        quiet = if busy == 0 { quiet + 1 } else { 0 };
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the outbox never drained"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// The titles of the embeds posted in `channel`, newest first.
pub fn titles(sim: &DiscordSim, channel: ChannelId) -> Vec<String> {
    sim.messages(channel)
        .iter()
        .filter_map(|m| m.embeds.first()?.get("title")?.as_str().map(str::to_owned))
        .collect()
}

/// Whether `user` holds `role` in `guild` now.
pub fn has_role(sim: &DiscordSim, guild: GuildId, user: UserId, role: RoleId) -> bool {
    sim.member(guild, user)
        .is_some_and(|m| m.roles.contains(&role))
}

pub struct World {
    pub sim: DiscordSim,
    pub db: TestDb,
    /// The guild, its people, roles and channels (`w.guild`, `w.raiders`, … through
    /// `Deref`).
    pub community: Community,
    pub voice: ChannelId,
    /// Where the bot looks RealmEye up (a local stub); unset: an address nothing answers.
    pub realmeye_base_url: Option<String>,
    /// The dashboard address the bot links to (`PUBLIC_URL`); unset: no dashboard.
    pub bot_public_url: Option<String>,
    bot: Option<(CancellationToken, JoinHandle<Result<(), bot::BotError>>)>,
}

impl std::ops::Deref for World {
    type Target = Community;
    fn deref(&self) -> &Community {
        &self.community
    }
}

impl World {
    /// A guild with `raiders` verified raiders and the bot running.
    pub async fn new(raiders: usize) -> World {
        bot::discord::install_crypto();
        // RUST_LOG=bot=debug shows what the bot did when a scenario fails; the same
        // subscriber counts statements per click for the budget tests.
        store::testing::queries::install();
        let sim = DiscordSim::start_with(SimConfig {
            heartbeat_interval_ms: 1000,
            ..Default::default()
        })
        .await;
        let db = TestDb::new().await;
        let owner = sim.create_user("owner");
        let guild = sim.create_guild("Raid Community", owner);
        let community = Community::create(&sim, guild, "", raiders);
        let voice = sim.create_channel(guild, "raid-voice", ChannelKind::Voice);
        let mut world = World {
            sim,
            db,
            community,
            voice,
            realmeye_base_url: None,
            bot_public_url: None,
            bot: None,
        };
        world.start_bot().await;
        world
    }

    /// The admin maps the organizer and raider roles and the raid and raid_log channels.
    pub async fn configure(&self) {
        self.community.configure(&self.sim).await;
    }

    pub async fn start_bot(&mut self) {
        let pool = self.db.pool.clone();
        self.start_bot_on(pool).await;
    }

    /// Starts the bot on `pool` (e.g. one that reaches PostgreSQL through a proxy a test
    /// cuts) instead of the test database's own.
    pub async fn start_bot_on(&mut self, pool: store::PgPool) {
        let config = bot::BotConfig {
            token: self.sim.bot_token().to_owned(),
            api_proxy: Some(self.sim.http_proxy_addr()),
            shared_rate_limit: true,
            gateway_url: Some(self.sim.gateway_url()),
            dev_guild_id: Some(Id::new(self.guild.0)),
            register_commands: true,
            realmeye_base_url: self
                .realmeye_base_url
                .clone()
                .unwrap_or_else(|| "http://127.0.0.1:9".to_owned()),
            shards: Default::default(),
            public_url: self.bot_public_url.clone(),
        };
        let token = CancellationToken::new();
        let identified = self.sim.identify_count() + self.sim.resume_count();
        let handle = tokio::spawn(bot::run(config, pool, token.clone()));
        self.bot = Some((token, handle));
        let sim = self.sim.clone();
        sim.eventually(WAIT, || {
            (sim.gateway_connected() && sim.identify_count() + sim.resume_count() > identified)
                .then_some(())
        })
        .await
        .expect("the bot connects to the gateway");
    }

    /// Stops the bot the way SIGTERM does: in-flight work finishes, then it disconnects.
    pub async fn stop_bot(&mut self) {
        if let Some((token, handle)) = self.bot.take() {
            token.cancel();
            handle.await.expect("bot task").expect("bot stops cleanly");
        }
    }

    pub async fn restart_bot(&mut self) {
        self.stop_bot().await;
        self.start_bot().await;
    }

    /// The organizer posts a run of `dungeon` with `/run` (plus `extra` options) in the raid
    /// channel; returns the answer, which carries the organizer panel.
    pub async fn post_run(&self, dungeon: &str, extra: Vec<CommandOption>) -> InteractionResult {
        let mut options = vec![CommandOption::string("dungeon", dungeon)];
        options.extend(extra);
        let res = self
            .sim
            .run_command(self.guild, self.raid, self.organizer, "run", options)
            .await;
        assert_eq!(res.kind, ResponseKind::Reply, "{:?}", res.content);
        res
    }

    /// The organizer posts a run of `dungeon` and gets both panels: the private organizer
    /// panel the answer carries and the public one in the raid channel.
    pub async fn open_run(&self, dungeon: &str) -> Posted {
        let organizer = organizer_panel(&self.post_run(dungeon, vec![]).await);
        let panel = self.panel().await;
        Posted { organizer, panel }
    }

    /// `user` presses the button labelled `label` on `message` in the raid channel; the
    /// press must be answered (any kind of answer).
    pub async fn press(&self, user: UserId, message: &Message, label: &str) -> InteractionResult {
        let res = self
            .sim
            .press(self.guild, user, self.raid, message.id, label)
            .await;
        assert!(res.is_ok(), "pressing {label}: {:?}", res.kind);
        res
    }

    /// Each of `raiders` presses Join on the public `panel` and is told they joined.
    pub async fn join(&self, panel: &Message, raiders: &[UserId]) {
        for r in raiders {
            let res = self.press(*r, panel, "Join").await;
            let said = res.content.as_deref().unwrap_or_default();
            assert!(
                said.starts_with("You joined"),
                "{r:?} pressed Join: {said:?}"
            );
        }
    }

    /// The newest DM from the bot to `user` that contains `text` (waits for it).
    pub async fn dm_containing(&self, user: UserId, text: &str) -> Message {
        let sim = &self.sim;
        match sim
            .eventually(WAIT, || {
                sim.dms(user)
                    .into_iter()
                    .find(|m| m.author_id != user && m.content.contains(text))
            })
            .await
        {
            Some(m) => m,
            None => panic!(
                "no DM containing {text:?}; DMs: {:?}",
                sim.dms(user).iter().map(|m| &m.content).collect::<Vec<_>>()
            ),
        }
    }

    /// Whether `user` holds `role` now.
    pub fn has_role(&self, user: UserId, role: RoleId) -> bool {
        has_role(&self.sim, self.guild, user, role)
    }

    /// How many messages in `channel` have a first embed whose text (title, description,
    /// fields, footer as JSON) contains `text`. Call after [`World::settle`] to count.
    pub fn count_embeds(&self, channel: ChannelId, text: &str) -> usize {
        self.sim
            .messages(channel)
            .iter()
            .filter(|m| {
                m.embeds
                    .first()
                    .is_some_and(|e| e.to_string().contains(text))
            })
            .count()
    }

    /// The titles of the embeds posted in `channel`, newest first.
    pub fn titles(&self, channel: ChannelId) -> Vec<String> {
        titles(&self.sim, channel)
    }

    /// Waits until the bot has nothing left to do for now: no job running and none pending
    /// that falls due within 5 s (coalesced edits wait a second, retries a few), seen
    /// twice 100 ms apart. Counting what Discord shows after this proves "exactly once":
    /// nothing more is on its way. Timers due later (auto-end, quota ticks) do not count.
    pub async fn settle(&self) {
        let deadline = std::time::Instant::now() + WAIT * 3;
        let mut quiet = 0;
        loop {
            let busy: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM job WHERE state = 'running'
                   OR (state = 'pending' AND due_at <= now() + interval '5 seconds')",
            )
            .fetch_one(&self.db.pool)
            .await
            .expect("the job table is readable");
            quiet = if busy == 0 { quiet + 1 } else { 0 };
            if quiet >= 2 {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the bot did not settle: {busy} jobs running or due soon"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The run panel the bot posted in the raid channel (the newest one with buttons or a
    /// "Run #" footer).
    pub async fn panel(&self) -> Message {
        let sim = &self.sim;
        sim.eventually(WAIT, || {
            sim.messages(self.raid)
                .into_iter()
                .find(|m| footer(m).is_some_and(|f| f.starts_with("Run #")))
        })
        .await
        .expect("a run panel in the raid channel")
    }

    /// Waits until the panel's embed satisfies `f`, and returns it.
    pub async fn panel_where(&self, what: &str, f: impl Fn(&Message) -> bool) -> Message {
        let sim = &self.sim;
        let found = sim
            .eventually(WAIT, || {
                sim.messages(self.raid)
                    .into_iter()
                    .find(|m| footer(m).is_some_and(|f| f.starts_with("Run #")) && f(m))
            })
            .await;
        match found {
            Some(m) => m,
            None => panic!(
                "the panel never showed {what}; last seen: {:#?}",
                sim.messages(self.raid).first().map(|m| m.embeds.clone())
            ),
        }
    }
}

/// A posted run's two panels.
pub struct Posted {
    /// The organizer's private panel (Start, End run, the tools).
    pub organizer: Message,
    /// The public panel in the raid channel (Join, Leave, reactions).
    pub panel: Message,
}

/// The organizer panel carried by the answer to `/run` (or to pressing Manage).
pub fn organizer_panel(res: &InteractionResult) -> Message {
    res.message.clone().expect("the organizer panel message")
}

pub fn footer(m: &Message) -> Option<&str> {
    m.embeds.first()?.get("footer")?.get("text")?.as_str()
}

/// An embed field's value by the start of its name ("Raiders" matches "Raiders (2)").
pub fn field<'a>(m: &'a Message, name_prefix: &str) -> Option<(&'a str, &'a str)> {
    m.embeds
        .first()?
        .get("fields")?
        .as_array()?
        .iter()
        .find_map(|f| {
            let name = f.get("name")?.as_str()?;
            name.starts_with(name_prefix)
                .then(|| Some((name, f.get("value")?.as_str()?)))
                .flatten()
        })
}

impl Drop for World {
    fn drop(&mut self) {
        if let Some((token, _)) = &self.bot {
            token.cancel();
        }
    }
}
