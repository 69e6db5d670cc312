//! `raidbot`: runs raid communities of Realm of the Mad God on Discord.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use raidbot::app;
use raidbot::config::{Config, LogFormat};
use tokio_util::sync::CancellationToken;
use twilight_model::id::Id;

#[derive(Parser)]
#[command(
    name = "raidbot",
    version,
    about = "Raid runs, verification, moderation and quotas for RotMG Discord communities"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate, then run the REST API and the bot in one process (the default).
    Up,
    /// Create the database if missing and apply pending migrations, then exit.
    Migrate,
    /// Run only the REST API.
    Api,
    /// Run only the Discord bot (and its job dispatcher).
    Bot,
    /// Try everything in a browser with no Discord account: the simulated Discord, the
    /// real bot, the REST API and a RealmEye stub, with a seeded community.
    Sandbox {
        /// Where the web client listens (loopback by default: whoever reaches it can act as
        /// any member).
        #[arg(long, default_value = raidbot::sandbox::DEFAULT_BIND)]
        bind: std::net::SocketAddr,
        /// Where the sandbox keeps its private PostgreSQL cluster (used when DATABASE_URL's
        /// server does not answer).
        #[arg(long, default_value = ".raidbot-sandbox")]
        data_dir: std::path::PathBuf,
        /// Start afresh: drop the sandbox's database (never the bot's own) and seed again.
        #[arg(long)]
        reset: bool,
    },
    /// Register the slash commands (to DISCORD_DEV_GUILD_ID if set, else globally), then exit.
    RegisterCommands,
    /// Back up the database to FILE (pg_dump's custom format); never overwrites FILE
    /// without --force and never changes the database.
    Backup {
        /// The backup file to write.
        #[arg(long, value_name = "FILE")]
        to: std::path::PathBuf,
        /// Replace FILE if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Restore a backup into DATABASE_URL's database, if that does not exist or has no
    /// tables; with --force, also over one that holds data, which is kept renamed aside.
    Restore {
        /// A file made by `raidbot backup` (or `pg_dump -Fc`).
        #[arg(long, value_name = "FILE")]
        from: std::path::PathBuf,
        /// Restore even though the database holds data: it is renamed to
        /// `<name>_pre_restore_<time>` (kept, not dropped) once the restore succeeded.
        /// Every raidbot process using it must be stopped first.
        #[arg(long)]
        force: bool,
    },
    /// Ask the running API (at API_BIND) for /v1/health: exit 0 when it and the database
    /// are up (the container health check).
    Healthcheck,
    /// RealmEye tools.
    #[command(subcommand)]
    Realmeye(RealmeyeCommand),
    /// Per-guild REST API keys: create (shown once), list, revoke.
    Apikey {
        #[command(subcommand)]
        action: Apikey,
    },
    /// Web dashboard sessions.
    Sessions {
        #[command(subcommand)]
        action: Sessions,
    },
    /// Bring a community's data over from another bot's database.
    Import {
        #[command(subcommand)]
        from: ImportCommand,
    },
    /// Benchmarks that print figures (on a database of their own next to DATABASE_URL,
    /// dropped afterwards).
    Bench {
        #[command(subcommand)]
        what: BenchCommand,
    },
}

#[derive(Subcommand)]
enum Apikey {
    /// Create a key; the key itself is printed alone on the last line, this once.
    Create {
        #[arg(long)]
        guild: String,
        /// The role key whose rights the key has (e.g. officer, security, administrator).
        #[arg(long)]
        level: String,
        #[arg(long)]
        label: String,
    },
    /// List a server's keys (never their secrets).
    List {
        #[arg(long)]
        guild: String,
    },
    /// Revoke a key by its label or number (add --guild when a label is used in several).
    Revoke {
        label_or_id: String,
        #[arg(long)]
        guild: Option<String>,
    },
}

#[derive(Subcommand)]
enum Sessions {
    /// Log people out of the web dashboard: one person's sessions (--user) or everyone's
    /// (--all). Their next page asks them to log in again.
    Revoke {
        /// The Discord user id whose sessions end.
        #[arg(
            long,
            value_name = "ID",
            conflicts_with = "all",
            required_unless_present = "all"
        )]
        user: Option<String>,
        /// End every running session.
        #[arg(long)]
        all: bool,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Raiders pressing Join on run panels through the simulated Discord and the real bot.
    JoinBurst {
        /// Keep one core busy with a separate process while measuring (headroom).
        #[arg(long)]
        noise: bool,
        /// Instead of the three scenarios, raise the click rate over 20 panels step by step
        /// and report the highest rate whose p99 stays within 100 ms.
        #[arg(long)]
        ramp: bool,
    },
    /// The same join bursts in many guilds served by 1, 2 and 4 `raidbot bot` processes
    /// splitting four shards: throughput and acknowledgment p99 for each.
    Shards {
        /// Guilds on each of the four shards, each with a run panel.
        #[arg(long, default_value_t = 4)]
        guilds_per_shard: usize,
        /// Raiders pressing Join in each guild.
        #[arg(long, default_value_t = 50)]
        raiders: usize,
        /// Each guild's presses are spread over this many milliseconds.
        #[arg(long, default_value_t = 2000)]
        window_ms: u64,
    },
    /// Leaderboard, /stats, quota panel and run awards over seeded points.
    Leaderboard {
        /// Members to seed.
        #[arg(long, default_value_t = 50_000)]
        members: i64,
        /// Point events to seed (spread over two years).
        #[arg(long, default_value_t = 5_000_000)]
        events: i64,
        /// Measurements per read figure.
        #[arg(long, default_value_t = 200)]
        iterations: usize,
        /// Runs awarded (measured) while the readers read; enough for a p99 that is not
        /// one slow sample.
        #[arg(long, default_value_t = 1000)]
        awards: usize,
        /// Keep the bench database instead of dropping it.
        #[arg(long)]
        keep: bool,
        /// Reader tasks (leaderboard + /stats in a loop) while awards are measured.
        #[arg(long, default_value_t = 2)]
        readers: usize,
        /// Reads per second the readers make together (0: as fast as they can, which on
        /// a small machine takes all its cores). The default, 100 (50 leaderboard pages
        /// and 50 /stats a second), is far above what a community's members click.
        #[arg(long, default_value_t = 100)]
        reads_per_second: u32,
        /// Pause between measured awards in ms (0: back to back, a backlog test rather
        /// than one award's latency).
        #[arg(long, default_value_t = 100)]
        award_interval_ms: u64,
        /// Measure an existing bench database kept with --keep (no seeding).
        #[arg(long)]
        reuse: Option<String>,
    },
    /// The web dashboard's pages over HTTP (leaderboard, member page, overview) on seeded
    /// points, against the simulated Discord: p50/p99 and page weight (budget 200 kB).
    Dashboard {
        /// Members to seed.
        #[arg(long, default_value_t = 50_000)]
        members: i64,
        /// Point events to seed (spread over two years).
        #[arg(long, default_value_t = 5_000_000)]
        events: i64,
        /// Measured requests per page.
        #[arg(long, default_value_t = 200)]
        iterations: usize,
        /// Keep the bench database instead of dropping it.
        #[arg(long)]
        keep: bool,
    },
    /// /raidstats over seeded runs: the aggregate query and the chart render.
    Raidstats {
        /// Runs to seed (over the last 52 weeks, ~10 raiders each).
        #[arg(long, default_value_t = 100_000)]
        runs: i64,
        /// Measurements per figure.
        #[arg(long, default_value_t = 50)]
        iterations: usize,
        /// Keep the bench database instead of dropping it.
        #[arg(long)]
        keep: bool,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// From the original TypeScript bot (sjkd23/console): settings, members and IGNs,
    /// quota and raider points, punishments, notes, modmail. Read-only on the source;
    /// one transaction per guild here; running it again imports only new rows.
    Console {
        /// The original bot's PostgreSQL URL (read in one read-only snapshot).
        #[arg(long, value_name = "POSTGRES_URL")]
        from: String,
        /// Import only this guild (repeat for several); all guilds when absent.
        #[arg(long, value_name = "ID")]
        guild: Vec<String>,
        /// Print the report of what would be imported, and write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand)]
enum RealmeyeCommand {
    /// Parse a saved RealmEye player page and print the result as one JSON object.
    Parse { file: std::path::PathBuf },
}

/// `raidbot realmeye parse FILE`: needs no configuration, database or network.
fn realmeye(command: RealmeyeCommand) -> ExitCode {
    let RealmeyeCommand::Parse { file } = command;
    match std::fs::read(&file) {
        Ok(bytes) => {
            let html = String::from_utf8_lossy(&bytes);
            println!("{}", realmeye::parse_player_page(&html).to_json());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", file.display());
            ExitCode::FAILURE
        }
    }
}

/// The log filter when RUST_LOG is unset. The sandbox is for watching in a browser, so its
/// terminal leaves out the Discord client's routine rate-limit notes.
fn init_logging(format: LogFormat, sandbox: bool) {
    let default = if sandbox {
        "info,sqlx=warn,twilight_http=warn,twilight_http_ratelimiting=warn,twilight_gateway=warn"
    } else {
        "info,sqlx=warn"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Pretty => builder.init(),
    }
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    let shutdown = CancellationToken::new();
    app::cancel_on_signals(shutdown.clone());
    let metrics = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .ok();
    if let Some(handle) = &metrics {
        app::keep_metrics_small(handle.clone(), shutdown.clone());
    }
    match command {
        Command::Up => app::up(&config, metrics, shutdown).await,
        Command::Migrate => {
            let pool = app::database(&config).await?;
            pool.close().await;
            println!(
                "migrations applied to {}",
                store::db::describe(&config.database_url)
            );
            Ok(())
        }
        Command::Api => {
            let pools = app::databases(&config).await?;
            app::api(&config, pools, metrics, shutdown).await
        }
        Command::Bot => {
            config.require_token()?;
            let pools = app::databases(&config).await?;
            app::bot(&config, pools, shutdown).await
        }
        Command::Apikey { action } => {
            let pool = app::database(&config).await?;
            let out = match action {
                Apikey::Create {
                    guild,
                    level,
                    label,
                } => raidbot::apikey::create(&pool, &guild, &level, &label).await,
                Apikey::List { guild } => raidbot::apikey::list(&pool, &guild).await,
                Apikey::Revoke { label_or_id, guild } => {
                    raidbot::apikey::revoke(&pool, guild.as_deref(), &label_or_id).await
                }
            };
            pool.close().await;
            println!("{}", out?);
            Ok(())
        }
        Command::Sessions {
            action: Sessions::Revoke { user, all: _ },
        } => {
            let user = match user {
                None => None,
                Some(text) => Some(domain::Snowflake::parse(text.trim()).map_err(|_| {
                    anyhow::anyhow!("--user takes a Discord user id (digits), not {text:?}")
                })?),
            };
            let pool = app::database(&config).await?;
            let ended = service::web_sessions::revoke_all(&pool, user).await;
            pool.close().await;
            let ended = ended.map_err(|e| anyhow::anyhow!("{e}"))?;
            match user {
                Some(user) => println!("ended {ended} dashboard session(s) of user {user}"),
                None => println!("ended {ended} dashboard session(s)"),
            }
            Ok(())
        }
        Command::Import {
            from:
                ImportCommand::Console {
                    from,
                    guild,
                    dry_run,
                },
        } => {
            let guilds = guild
                .iter()
                .map(|g| {
                    g.trim()
                        .parse::<u64>()
                        .ok()
                        .and_then(|g| domain::Snowflake::new(g).ok())
                })
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| anyhow::anyhow!("--guild takes a Discord server id (digits)"))?;
            let pool = app::database(&config).await?;
            let options = raidbot::import::Options {
                from,
                guilds,
                dry_run,
                progress: true,
            };
            let report = raidbot::import::console(&pool, &options).await;
            pool.close().await;
            print!("{}", report?);
            Ok(())
        }
        Command::Backup { to, force } => {
            let out = raidbot::backup::backup(&config.database_url, &to, force).await?;
            println!("{out}");
            Ok(())
        }
        Command::Restore { from, force } => {
            let out = raidbot::backup::restore(&config.database_url, &from, force).await?;
            println!("{out}");
            Ok(())
        }
        Command::Bench {
            what:
                BenchCommand::Shards {
                    guilds_per_shard,
                    raiders,
                    window_ms,
                },
        } => {
            let opts = raidbot::bench::shards::Options {
                guilds_per_shard,
                raiders,
                window: std::time::Duration::from_millis(window_ms),
            };
            raidbot::bench::shards::run(&config.database_url, opts).await
        }
        Command::Bench {
            what: BenchCommand::JoinBurst { noise, ramp },
        } => {
            let opts = raidbot::bench::join_burst::Options { noise, ramp };
            raidbot::bench::join_burst::run(&config.database_url, opts).await
        }
        Command::Bench {
            what:
                BenchCommand::Leaderboard {
                    members,
                    events,
                    iterations,
                    awards,
                    keep,
                    readers,
                    reads_per_second,
                    award_interval_ms,
                    reuse,
                },
        } => {
            let opts = raidbot::bench::Options {
                members,
                events,
                iterations,
                awards,
                keep,
                readers,
                reads_per_second,
                award_interval: std::time::Duration::from_millis(award_interval_ms),
                reuse,
            };
            raidbot::bench::leaderboard(&config.database_url, opts).await
        }
        Command::Bench {
            what:
                BenchCommand::Dashboard {
                    members,
                    events,
                    iterations,
                    keep,
                },
        } => {
            let opts = raidbot::bench::dashboard::Options {
                members,
                events,
                iterations,
                keep,
            };
            raidbot::bench::dashboard::run(&config.database_url, opts).await
        }
        Command::Bench {
            what:
                BenchCommand::Raidstats {
                    runs,
                    iterations,
                    keep,
                },
        } => {
            let opts = raidbot::bench::raidstats::Options {
                runs,
                iterations,
                keep,
            };
            raidbot::bench::raidstats::run(&config.database_url, opts).await
        }
        Command::RegisterCommands => {
            let bot_config = app::bot_config(&config, true)?;
            bot::discord::install_crypto();
            let http = bot::discord::http_client(&bot_config);
            let application = http.current_user_application().await?.model().await?;
            let guild = config.dev_guild_id.map(|g| Id::new(g.get()));
            let count = bot::commands::register(&http, application.id, guild).await?;
            match config.dev_guild_id {
                Some(g) => println!("registered {count} commands to server {g}"),
                None => println!(
                    "registered {count} global commands (they may take up to an hour to appear)"
                ),
            }
            Ok(())
        }
        Command::Realmeye(command) => {
            realmeye(command);
            Ok(())
        }
        Command::Sandbox {
            bind,
            data_dir,
            reset,
        } => {
            let options = raidbot::sandbox::Options {
                bind,
                data_dir,
                reset,
                server_url: config.database_url.clone(),
            };
            raidbot::sandbox::run(options, metrics, shutdown).await
        }
        Command::Healthcheck => {
            let body = raidbot::healthcheck::check(config.api_bind).map_err(anyhow::Error::msg)?;
            println!("{body}");
            Ok(())
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Realmeye(command)) = cli.command {
        return realmeye(command);
    }
    // A missing .env is fine; a broken one is not.
    if let Err(e) = dotenvy::dotenv()
        && !e.not_found()
    {
        eprintln!("error: .env could not be read: {e}");
        return ExitCode::FAILURE;
    }
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    init_logging(
        config.log_format,
        matches!(cli.command, Some(Command::Sandbox { .. })),
    );
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command.unwrap_or(Command::Up), config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
