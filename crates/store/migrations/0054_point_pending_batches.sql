-- Awards append one row per award instead of one per summary delta, and ranks come from
-- per-bucket member counts instead of counting the members above.
--
-- 1. point_sum_pending: an award's summary contributions as one row of parallel arrays
--    (member, metric, delta, dungeon; the scopes are all time and the row's period). A
--    run's award wrote ~200 delta rows and as many index entries, most of its cost; now
--    it is one row. The view point_sum_delta expands the rows to the deltas readers add.
-- 2. point_rank_bucket: how many members of a board have a value in each bucket of value
--    (below 128 one value a bucket, above that 64 buckets per power of two). The rank of a
--    value is the members of the buckets above it plus those above it in its own bucket:
--    a few hundred rows read, instead of counting up to the whole board (tens of ms on a
--    large board, more once folds cleared pages' all-visible bits). Its sum per board is
--    the board's size, so point_board goes.
-- 3. point_event drops its foreign key to guild: its per-row check was a third of the cost
--    of inserting a run's events. Every event carries a period (point_period references
--    guild) and guild rows are never deleted.

-- Fold what the old table still holds (the fold of 0050-0053, without point_board).
WITH agg AS (
    SELECT guild_id, scope, metric, member_id, sum(delta)::bigint AS value,
           coalesce(max(reached_at) FILTER (WHERE delta <> 0), '-infinity') AS reached_at
    FROM point_sum_delta GROUP BY 1, 2, 3, 4)
INSERT INTO point_sum (guild_id, scope, metric, member_id, value, reached_at)
SELECT guild_id, scope, metric, member_id, value, reached_at FROM agg
ON CONFLICT (guild_id, scope, metric, member_id) DO UPDATE SET
   value = point_sum.value + EXCLUDED.value,
   reached_at = CASE WHEN EXCLUDED.reached_at > '-infinity'
                     THEN EXCLUDED.reached_at ELSE point_sum.reached_at END;
INSERT INTO point_dungeon_sum (guild_id, member_id, dungeon_code, metric, value)
SELECT guild_id, member_id, dungeon_code, metric, sum(delta)::bigint FROM point_sum_delta
WHERE scope = 0 AND dungeon_code IS NOT NULL
GROUP BY 1, 2, 3, 4
ON CONFLICT (guild_id, member_id, dungeon_code, metric) DO UPDATE SET
   value = point_dungeon_sum.value + EXCLUDED.value;
DROP TABLE point_sum_delta;
DROP TABLE point_board;

CREATE TABLE point_sum_pending (
    guild_id   BIGINT NOT NULL,
    batch_id   BIGINT GENERATED ALWAYS AS IDENTITY,
    -- The leaderboard period of the award; its deltas count there and all time.
    period_id  BIGINT NOT NULL,
    reached_at TIMESTAMPTZ NOT NULL,
    member_ids BIGINT[] NOT NULL,
    metrics    SMALLINT[] NOT NULL,
    deltas     BIGINT[] NOT NULL,
    dungeons   TEXT[] NOT NULL,
    PRIMARY KEY (guild_id, batch_id),
    CHECK (cardinality(member_ids) = cardinality(metrics)
           AND cardinality(metrics) = cardinality(deltas)
           AND cardinality(deltas) = cardinality(dungeons))
);
-- A run's batch (~100 entries, ~3 kB) stays in the row, uncompressed.
ALTER TABLE point_sum_pending SET (toast_tuple_target = 8160,
                                   autovacuum_vacuum_scale_factor = 0.0,
                                   autovacuum_vacuum_threshold = 500);

CREATE VIEW point_sum_delta AS
SELECT b.guild_id, b.batch_id, s.scope, e.metric, e.member_id, e.dungeon_code, e.delta,
       b.reached_at
FROM point_sum_pending b
CROSS JOIN LATERAL unnest(b.member_ids, b.metrics, b.deltas, b.dungeons)
    AS e(member_id, metric, delta, dungeon_code)
CROSS JOIN LATERAL (VALUES (0::bigint), (b.period_id)) AS s(scope);

-- The bucket of value v is [point_bucket_lo(v), point_bucket_hi(v)): buckets split the
-- integers (|v| < 2^62) into intervals, in order. Below 128 (in absolute value) a bucket
-- is one value; above, the values sharing their top seven bits, so 64 buckets per power of
-- two. point_bucket_shift(a) is how many low bits of a >= 0 its bucket spans: the number
-- of powers of two from 2^7 to 2^62 at or below a (width_bucket's binary search; exact,
-- and these one-line functions are inlined into the queries that call them).
CREATE FUNCTION point_bucket_shift(a bigint) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT width_bucket(a, '{128,256,512,1024,2048,4096,8192,16384,32768,65536,131072,262144,524288,1048576,
        2097152,4194304,8388608,16777216,33554432,67108864,134217728,268435456,
        536870912,1073741824,2147483648,4294967296,8589934592,17179869184,34359738368,
        68719476736,137438953472,274877906944,549755813888,1099511627776,2199023255552,
        4398046511104,8796093022208,17592186044416,35184372088832,70368744177664,
        140737488355328,281474976710656,562949953421312,1125899906842624,
        2251799813685248,4503599627370496,9007199254740992,18014398509481984,
        36028797018963968,72057594037927936,144115188075855872,288230376151711744,
        576460752303423488,1152921504606846976,2305843009213693952,4611686018427387904}'::bigint[]) $$;
CREATE FUNCTION point_bucket_lo(v bigint) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT CASE WHEN v >= 0 THEN v & -(1::bigint << point_bucket_shift(v))
                      ELSE -(-v | ((1::bigint << point_bucket_shift(-v)) - 1)) END $$;
CREATE FUNCTION point_bucket_hi(v bigint) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT CASE WHEN v >= 0 THEN (v | ((1::bigint << point_bucket_shift(v)) - 1)) + 1
                      ELSE 1 - (-v & -(1::bigint << point_bucket_shift(-v))) END $$;

CREATE TABLE point_rank_bucket (
    guild_id BIGINT NOT NULL,
    scope    BIGINT NOT NULL CHECK (scope >= 0),
    metric   SMALLINT NOT NULL CHECK (metric BETWEEN 1 AND 6),
    lo       BIGINT NOT NULL,
    members  BIGINT NOT NULL,
    PRIMARY KEY (guild_id, scope, metric, lo)
);
INSERT INTO point_rank_bucket (guild_id, scope, metric, lo, members)
SELECT guild_id, scope, metric, point_bucket_lo(value), count(*)
FROM point_sum WHERE value <> 0 GROUP BY 1, 2, 3, 4;

ALTER TABLE point_event DROP CONSTRAINT point_event_guild_id_fkey;
