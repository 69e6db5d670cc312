//! What an interaction came to: the bot's answer, its edits and follow-ups.

use super::*;

/// What a user sees after an interaction.
#[derive(Clone, Debug)]
pub struct InteractionResult {
    pub kind: ResponseKind,
    pub ephemeral: bool,
    pub content: Option<String>,
    pub embeds: Vec<Value>,
    pub components: Vec<Value>,
    pub modal: Option<Modal>,
    pub choices: Vec<Choice>,
    pub interaction_id: u64,
    pub token: String,
    pub guild: Option<GuildId>,
    pub channel: ChannelId,
    pub user: UserId,
    /// The message shown or updated by the response (its state right after the response).
    pub message: Option<Message>,
    /// The message the component lives on (buttons/selects, and modals opened from them).
    pub source_message: Option<MessageId>,
    pub(crate) sim: Option<DiscordSim>,
}

impl InteractionResult {
    /// Answered in time (not timed out, not rejected).
    pub fn is_ok(&self) -> bool {
        !matches!(
            self.kind,
            ResponseKind::TimedOut | ResponseKind::Rejected(_)
        )
    }

    /// `Err` for a timeout or rejection, else `Ok(self)`.
    pub fn ok(self) -> Result<Self, SimError> {
        match &self.kind {
            ResponseKind::TimedOut => Err(SimError::TimedOut),
            ResponseKind::Rejected(r) => Err(SimError::Rejected(r.clone())),
            _ => Ok(self),
        }
    }

    /// The current state of the original response message (after edits).
    pub fn original(&self) -> Option<Message> {
        let sim = self.sim.as_ref()?;
        let st = sim.lock();
        let rec = st.interactions.get(&self.interaction_id)?;
        let id = rec.original?;
        st.find_message(self.channel, id).cloned()
    }

    /// Waits until the original response exists and is no longer "thinking" (after a deferral).
    pub async fn wait_for_original_edit(&self, deadline: Duration) -> Option<Message> {
        eventually(deadline, || self.original().filter(|m| !m.is_loading())).await
    }

    /// Follow-up messages sent so far (current state).
    pub fn followups(&self) -> Vec<Message> {
        let Some(sim) = self.sim.as_ref() else {
            return Vec::new();
        };
        let st = sim.lock();
        let Some(rec) = st.interactions.get(&self.interaction_id) else {
            return Vec::new();
        };
        rec.followups
            .iter()
            .filter_map(|m| st.find_message(self.channel, *m).cloned())
            .collect()
    }

    /// Waits for the `n`-th follow-up (1-based).
    pub async fn wait_for_followup(&self, n: usize, deadline: Duration) -> Option<Message> {
        eventually(deadline, || {
            self.followups().into_iter().nth(n.saturating_sub(1))
        })
        .await
    }
}

/// Polls `f` every 10 ms until it returns `Some` or `deadline` passes.
pub async fn eventually<T>(deadline: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if start.elapsed() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
