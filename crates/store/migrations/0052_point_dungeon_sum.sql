-- Per member and dungeon, all time: what /stats lists per dungeon (runs organized and
-- completed, keys popped, quota and raider points), kept like point_sum: an award's
-- all-time deltas carry their dungeon and the fold adds them here; reads add the pending
-- ones. It replaces the index of every event by member, whose random insertions (one page
-- per raider of a run, most of them full-page images in the WAL) were most of the cost
-- of awarding a run. Quota reads by member keep a partial index: one quota event per run.
ALTER TABLE point_sum_delta ADD COLUMN dungeon_code TEXT;

CREATE TABLE point_dungeon_sum (
    guild_id     BIGINT NOT NULL,
    member_id    BIGINT NOT NULL,
    dungeon_code TEXT NOT NULL,
    metric       SMALLINT NOT NULL CHECK (metric BETWEEN 1 AND 6),
    value        BIGINT NOT NULL,
    PRIMARY KEY (guild_id, member_id, dungeon_code, metric)
);

-- Existing events (metric codes as in domain::quota::Metric: 1 raider points, 2 quota
-- points, 3 runs organized, 4 runs completed, 5 keys popped, 6 verifications). Deltas
-- still pending carry no dungeon and are already counted here.
INSERT INTO point_dungeon_sum (guild_id, member_id, dungeon_code, metric, value)
SELECT guild_id, member_id, dungeon_code, metric, sum(v)::bigint FROM (
    SELECT guild_id, member_id, dungeon_code,
           CASE currency WHEN 'raider' THEN 1 ELSE 2 END AS metric, amount AS v
    FROM point_event WHERE dungeon_code IS NOT NULL
    UNION ALL
    SELECT guild_id, member_id, dungeon_code,
           CASE WHEN kind IN ('run_organized', 'run_logged') THEN 3
                WHEN kind = 'run_completed' THEN 4
                WHEN kind IN ('key_popped', 'key_logged') THEN 5
                ELSE 6 END, units
    FROM point_event
    WHERE dungeon_code IS NOT NULL
      AND kind IN ('run_organized', 'run_logged', 'run_completed', 'key_popped', 'key_logged',
                   'mod_verify')
) e
GROUP BY 1, 2, 3, 4;

DROP INDEX point_event_by_member;
CREATE INDEX point_event_quota_by_member ON point_event (guild_id, member_id, created_at)
    INCLUDE (amount) WHERE currency = 'quota';
