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
        .bind(activity_key(guild, organizer))
        .execute(conn)
        .await?;
    Ok(())
}

/// [`organizer_activity`] for several organizers in one statement, taken in the order given
/// (callers sort, so two transactions take them in the same order).
pub async fn organizer_activities(
    conn: &mut PgConnection,
    organizers: &[(Snowflake, Snowflake)],
) -> Result<()> {
    let keys: Vec<String> = organizers
        .iter()
        .map(|(guild, organizer)| activity_key(*guild, *organizer))
        .collect();
    sqlx::query(
        "SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest($1::text[]) AS k",
    )
    .bind(keys)
    .execute(conn)
    .await?;
    Ok(())
}

fn activity_key(guild: Snowflake, organizer: Snowflake) -> String {
    format!("organizer-activity:{guild}:{organizer}")
}
