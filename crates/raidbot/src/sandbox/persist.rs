//! The sandbox's own rows, next to raidbot's in the same database so that Discord's side
//! (the simulated world) and the bot's side can never come from two different places:
//! schema `sandbox`, outside raidbot's migrations (it exists only in sandbox databases).

use std::time::Duration;

use discord_sim::{DiscordSim, Snapshot};
use store::PgPool;
use tokio_util::sync::CancellationToken;

/// How often the simulated world is saved when it changed. A sandbox killed with -9 loses
/// at most this much of Discord's side; Ctrl-C and SIGTERM save everything.
pub const SAVE_EVERY: Duration = Duration::from_secs(1);

/// Creates the sandbox's tables when missing.
pub async fn init(pool: &PgPool) -> sqlx::Result<()> {
    for statement in [
        "CREATE SCHEMA IF NOT EXISTS sandbox",
        // One row: the simulated world, its guild, and the REST key shown on the page.
        "CREATE TABLE IF NOT EXISTS sandbox.world (
            id boolean PRIMARY KEY DEFAULT true CHECK (id),
            guild_id bigint NOT NULL,
            service_key text NOT NULL,
            snapshot json NOT NULL,
            saved_at timestamptz NOT NULL DEFAULT now())",
        // The RealmEye stub's player pages.
        "CREATE TABLE IF NOT EXISTS sandbox.realmeye_page (
            ign_lower text PRIMARY KEY,
            ign text NOT NULL,
            lines text[] NOT NULL,
            private boolean NOT NULL DEFAULT false,
            updated_at timestamptz NOT NULL DEFAULT now())",
    ] {
        sqlx::query(statement).execute(pool).await?;
    }
    Ok(())
}

/// What a previous run saved.
#[derive(sqlx::FromRow)]
pub struct Saved {
    pub guild_id: i64,
    pub service_key: String,
    pub snapshot: serde_json::Value,
}

pub async fn load(pool: &PgPool) -> sqlx::Result<Option<Saved>> {
    sqlx::query_as("SELECT guild_id, service_key, snapshot FROM sandbox.world")
        .fetch_optional(pool)
        .await
}

/// Saves the world (a JSON text, as [`Snapshot::to_json`] gives it).
pub async fn save(pool: &PgPool, guild_id: i64, service_key: &str, json: &str) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO sandbox.world (id, guild_id, service_key, snapshot, saved_at)
         VALUES (true, $1, $2, $3::json, now())
         ON CONFLICT (id) DO UPDATE SET guild_id = EXCLUDED.guild_id,
             service_key = EXCLUDED.service_key, snapshot = EXCLUDED.snapshot, saved_at = now()",
    )
    .bind(guild_id)
    .bind(service_key)
    .bind(json)
    .execute(pool)
    .await?;
    Ok(())
}

/// Saves the world every [`SAVE_EVERY`] when it changed, and once more when `shutdown`
/// fires (after the bot has stopped, so its last messages are in).
pub struct Saver {
    pub pool: PgPool,
    pub sim: DiscordSim,
    pub guild_id: i64,
    pub service_key: String,
    last: String,
}

impl Saver {
    pub fn new(pool: PgPool, sim: DiscordSim, guild_id: i64, service_key: String) -> Saver {
        Saver {
            pool,
            sim,
            guild_id,
            service_key,
            last: String::new(),
        }
    }

    /// Saves when the world differs from the last save.
    pub async fn save_if_changed(&mut self) -> sqlx::Result<bool> {
        let snapshot: Snapshot = self.sim.snapshot();
        let json = snapshot.to_json().to_string();
        if json == self.last {
            return Ok(false);
        }
        save(&self.pool, self.guild_id, &self.service_key, &json).await?;
        self.last = json;
        Ok(true)
    }

    pub async fn run(mut self, stop: CancellationToken) -> Self {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(SAVE_EVERY) => {}
                _ = stop.cancelled() => break,
            }
            if let Err(e) = self.save_if_changed().await {
                tracing::warn!(error = %e, "saving the simulated world failed; retrying");
            }
        }
        self
    }
}

/// A RealmEye player page of the stub.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, PartialEq, sqlx::FromRow)]
pub struct RealmeyePage {
    pub ign: String,
    pub lines: Vec<String>,
    pub private: bool,
}

pub async fn realmeye_pages(pool: &PgPool) -> sqlx::Result<Vec<RealmeyePage>> {
    sqlx::query_as("SELECT ign, lines, private FROM sandbox.realmeye_page ORDER BY ign_lower")
        .fetch_all(pool)
        .await
}

pub async fn realmeye_page(pool: &PgPool, ign: &str) -> sqlx::Result<Option<RealmeyePage>> {
    sqlx::query_as(
        "SELECT ign, lines, private FROM sandbox.realmeye_page WHERE ign_lower = lower($1)",
    )
    .bind(ign)
    .fetch_optional(pool)
    .await
}

pub async fn put_realmeye_page(pool: &PgPool, page: &RealmeyePage) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO sandbox.realmeye_page (ign_lower, ign, lines, private)
         VALUES (lower($1), $1, $2, $3)
         ON CONFLICT (ign_lower) DO UPDATE SET ign = EXCLUDED.ign, lines = EXCLUDED.lines,
             private = EXCLUDED.private, updated_at = now()",
    )
    .bind(&page.ign)
    .bind(&page.lines)
    .bind(page.private)
    .execute(pool)
    .await?;
    Ok(())
}
