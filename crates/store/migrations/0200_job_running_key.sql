-- Claiming skips a pending job while another job with its dedupe key is still running
-- (two edits of one panel are never in flight at once); this finds the running one.
CREATE INDEX job_running_key ON job (guild_id, dedupe_key) WHERE state = 'running';
