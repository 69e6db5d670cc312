-- The dashboard's server overview counts today's and this week's runs and keys (issue 19),
-- and refreshes every 20 s while a page is open: time-ordered indexes so those counts read
-- only the recent rows, not every run or key a server ever had. (Runs by creation time:
-- `run_by_created`, made by 0240 for the raid statistics.)
CREATE INDEX run_ended_by_time ON run (guild_id, ended_at) WHERE status = 'ended';
CREATE INDEX run_cancelled_by_time ON run (guild_id, cancelled_at) WHERE status = 'cancelled';
CREATE INDEX key_pop_by_time ON key_pop (guild_id, created_at);
