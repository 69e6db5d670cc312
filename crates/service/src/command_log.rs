//! The log of every command and button pressed: who, what, how it ended and how long it
//! took (`command_log`), for staff and for finding slow or failing interactions.

use store::PgPool;
use tracing::Instrument;

use crate::Result;
use crate::batching::{Batcher, Reply, answer_all};

pub use store::logs::CommandLogEntry;

/// Records interactions' outcomes; lines arriving together (a burst of button presses) are
/// written in one statement and one commit. Cheap to clone.
#[derive(Clone)]
pub struct CommandLog {
    pool: PgPool,
    batches: Batcher<Line>,
}

struct Line {
    entry: CommandLogEntry,
    span: tracing::Span,
    reply: Reply<()>,
}

impl CommandLog {
    pub fn new(pool: PgPool) -> CommandLog {
        CommandLog {
            batches: Batcher::on_pool("command_log", 1, 256, &pool, write),
            pool,
        }
    }

    /// Records one interaction's outcome (committed when this returns).
    pub async fn record(&self, entry: CommandLogEntry) -> Result<()> {
        let span = tracing::Span::current();
        self.batches
            .call(
                |reply| Line { entry, span, reply },
                |line| async move {
                    let mut conn = self.pool.acquire().await?;
                    store::logs::record_commands(&mut conn, std::slice::from_ref(&line.entry))
                        .await?;
                    Ok(())
                },
            )
            .await
    }
}

async fn write(pool: PgPool, batch: Vec<Line>) {
    let span = batch[0].span.clone();
    let (entries, replies): (Vec<CommandLogEntry>, Vec<_>) =
        batch.into_iter().map(|l| (l.entry, l.reply)).unzip();
    let written = async {
        let mut conn = pool.acquire().await?;
        store::logs::record_commands(&mut conn, &entries).await?;
        Ok::<_, crate::ServiceError>(())
    }
    .instrument(span)
    .await;
    answer_all(replies, &written);
}
