-- Raid statistics (/raidstats, GET /v1/guilds/{guild_id}/analytics/runs) read a guild's
-- runs by creation time; this index keeps that one aggregate query a range scan.
CREATE INDEX run_by_created ON run (guild_id, created_at);
-- A member's runs per week (the chart of `/stats member`).
CREATE INDEX run_participant_by_user ON run_participant (guild_id, user_id) WHERE state = 'joined';
-- Raiders joined when a run ended, kept on the run by the statement that ends it (no
-- extra statement), so statistics never count participants run by run. Filled in for the
-- runs that ended before; imported runs leave it empty and are not averaged.
ALTER TABLE run ADD COLUMN attendance INTEGER CHECK (attendance >= 0);
UPDATE run r SET attendance = (
    SELECT count(*) FROM run_participant p
    WHERE p.guild_id = r.guild_id AND p.run_id = r.run_id AND p.state = 'joined')
WHERE r.status = 'ended';
