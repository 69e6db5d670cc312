-- Gateway events a bot process has taken (interactions, and direct messages), so an event
-- the gateway replays after a process was killed (RESUME sends again what the dead process
-- had received) is not handled twice: a toggle replayed would undo itself, a DM replayed
-- would be answered twice. Rows are kept an hour (an interaction cannot be answered after
-- 15 minutes) and purged by the bot. Keyed by guild (0 for DMs), as every per-guild table.
-- `done`: an interaction is done when taken (at most once: its member sees a failure);
-- a DM is done once its handler committed, so one a killed process was handling is handled
-- again after the replay, and one it handled is not.
CREATE TABLE event_taken (
    guild_id  bigint NOT NULL,
    event_id  bigint NOT NULL,
    taken_at  timestamptz NOT NULL DEFAULT now(),
    done      boolean NOT NULL DEFAULT true,
    PRIMARY KEY (guild_id, event_id)
);
CREATE INDEX event_taken_by_time ON event_taken (taken_at);
