-- Raid statistics (/raidstats, GET /v1/guilds/{guild_id}/analytics/runs) read a guild's
-- runs by creation time; this index keeps that one aggregate query a range scan.
CREATE INDEX run_by_created ON run (guild_id, created_at);
-- A member's runs per week (the chart of `/stats member`).
CREATE INDEX run_participant_by_user ON run_participant (guild_id, user_id) WHERE state = 'joined';
