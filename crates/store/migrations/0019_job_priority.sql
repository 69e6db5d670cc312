-- Jobs a person is waiting to see (panel posts and edits) go before background work (role
-- syncs after a burst of joins), so a thousand role changes never delay a panel.
ALTER TABLE job ADD COLUMN priority SMALLINT NOT NULL DEFAULT 0;
DROP INDEX job_due;
CREATE INDEX job_due ON job (priority DESC, due_at) WHERE state = 'pending';
-- When a panel was last edited (spacing edits out).
CREATE INDEX job_done_by_key ON job (guild_id, dedupe_key, finished_at DESC) WHERE state = 'done';
