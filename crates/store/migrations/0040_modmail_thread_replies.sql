-- Staff may answer a ticket by typing `!r <text>` in its forum thread. A reply written
-- that way remembers the Discord message it came from: a gateway event delivered twice
-- (a resumed session replays events) stores and sends it once, and the bot confirms on
-- that message.
ALTER TABLE modmail_message ADD COLUMN source_message_id BIGINT;
CREATE UNIQUE INDEX modmail_message_source ON modmail_message (guild_id, source_message_id)
    WHERE source_message_id IS NOT NULL;
-- Finding the ticket of a thread a staff member wrote in.
CREATE INDEX modmail_ticket_by_thread ON modmail_ticket (guild_id, thread_id)
    WHERE thread_id IS NOT NULL;
