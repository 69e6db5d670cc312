//! The log of every command and button pressed: who, what, how it ended and how long it
//! took (`command_log`), for staff and for finding slow or failing interactions.

use store::PgPool;

use crate::Result;

pub use store::logs::CommandLogEntry;

/// Records one interaction's outcome.
pub async fn record(pool: &PgPool, entry: &CommandLogEntry) -> Result<()> {
    let mut conn = pool.acquire().await?;
    store::logs::record_command(&mut conn, entry).await?;
    Ok(())
}
