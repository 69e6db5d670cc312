//! Transaction-scoped advisory locks for rules that span tables.

use domain::Snowflake;

use crate::{PgConnection, Result};

/// Serializes "start an activity" for one organizer (a run or a headcount) until the
/// transaction ends, so the one-active-activity rule holds across both tables.
pub async fn organizer_activity(
    conn: &mut PgConnection,
    guild: Snowflake,
    organizer: Snowflake,
) -> Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(format!("organizer-activity:{guild}:{organizer}"))
        .execute(conn)
        .await?;
    Ok(())
}
