-- How a punishment ended, told apart: `lifted` (ended early with /unsuspend or /unmute)
-- is no longer folded into `removed` (deactivated as issued in error). Rows ended before
-- this migration keep `removed`. Edits (/editpunishment) are recorded on the row, and
-- punishments given in one mass action carry the batch's key so a retry finds them.
ALTER TABLE punishment DROP CONSTRAINT punishment_status_check;
ALTER TABLE punishment ADD CONSTRAINT punishment_status_check
    CHECK (status IN ('active', 'expired', 'lifted', 'removed'));
ALTER TABLE punishment
    ADD COLUMN edited_at       TIMESTAMPTZ,
    ADD COLUMN edited_by_label TEXT,
    ADD COLUMN batch_key       TEXT CHECK (char_length(batch_key) <= 100);
CREATE UNIQUE INDEX punishment_one_per_batch ON punishment (guild_id, batch_key, user_id)
    WHERE batch_key IS NOT NULL;
