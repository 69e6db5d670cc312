-- Awards append their contributions here instead of updating point_sum in place: an award
-- is then one append of small rows (no read-modify-write of 200 summary rows and their rank
-- index under a lock, which made ending a run slow while leaderboards were being read).
-- A background fold moves pending deltas into point_sum in one transaction, so a reader
-- sees each delta in exactly one of the two tables. Every read of sums adds the pending
-- deltas: totals always equal the sum of events, folded or not.
CREATE TABLE point_sum_delta (
    guild_id   BIGINT NOT NULL,
    scope      BIGINT NOT NULL CHECK (scope >= 0),
    metric     SMALLINT NOT NULL CHECK (metric BETWEEN 1 AND 6),
    member_id  BIGINT NOT NULL,
    delta      BIGINT NOT NULL,
    reached_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX point_sum_delta_by_key ON point_sum_delta (guild_id, scope, metric, member_id);
