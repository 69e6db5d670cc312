//! Acting as a user through messages: channel messages and DMs.

use super::*;

impl DiscordSim {
    /// A user writes in a channel (MESSAGE_CREATE).
    pub fn send_message(&self, user: UserId, channel: ChannelId, text: &str) -> MessageId {
        self.send_message_aged(user, channel, text, Duration::ZERO)
    }

    /// Like [`DiscordSim::send_message`] but back-dated by `age` (for 14-day rules).
    pub fn send_message_aged(
        &self,
        user: UserId,
        channel: ChannelId,
        text: &str,
        age: Duration,
    ) -> MessageId {
        let mut st = self.lock();
        let guild = st.channels.get(&channel).and_then(|c| c.guild_id);
        let mut msg = self.new_message(channel, guild, user, &json!({"content": text}));
        if !age.is_zero() {
            msg.id = MessageId(snowflake_at(
                now_ms().saturating_sub(age.as_millis() as u64),
            ));
        }
        let id = msg.id;
        self.insert_message(&mut st, msg);
        id
    }

    /// A member writes in a channel with files attached (MESSAGE_CREATE).
    pub fn send_message_with_attachments(
        &self,
        user: UserId,
        channel: ChannelId,
        text: &str,
        attachments: Vec<Attachment>,
    ) -> MessageId {
        let mut st = self.lock();
        let guild = st.channels.get(&channel).and_then(|c| c.guild_id);
        let mut msg = self.new_message(channel, guild, user, &json!({"content": text}));
        msg.attachments = attachments;
        let id = msg.id;
        self.insert_message(&mut st, msg);
        id
    }

    /// A user DMs the bot, optionally with attachments (MESSAGE_CREATE without guild_id).
    pub fn send_dm(&self, user: UserId, text: &str, attachments: Vec<Attachment>) -> MessageId {
        let mut st = self.lock();
        let ch = self.dm_channel(&mut st, user);
        let mut msg = self.new_message(ch, None, user, &json!({"content": text}));
        msg.attachments = attachments;
        let id = msg.id;
        self.insert_message(&mut st, msg);
        id
    }
}
