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
    /// Register the slash commands (to DISCORD_DEV_GUILD_ID if set, else globally), then exit.
    RegisterCommands,
    /// Per-guild REST API keys: create (shown once), list, revoke.
    Apikey {
        #[command(subcommand)]
        action: Apikey,
    },
    /// Benchmarks that print figures (on a database of their own next to DATABASE_URL).
    Bench {
        #[command(subcommand)]
        which: Bench,
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
enum Bench {
    /// Raiders pressing Join on run panels through the simulated Discord and the real bot.
    JoinBurst,
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
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
            let pool = app::database(&config).await?;
            app::api(&config, pool, metrics, shutdown).await
        }
        Command::Bot => {
            config.require_token()?;
            let pool = app::database(&config).await?;
            app::bot(&config, pool, shutdown).await
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
        Command::Bench {
            which: Bench::JoinBurst,
        } => raidbot::bench::join_burst::run(&config.database_url).await,
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
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
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
    init_logging(config.log_format);
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
