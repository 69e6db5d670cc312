-- How many members have a non-zero value per (scope, metric): the size of a leaderboard
-- ("page 3 of 412"). Counting point_sum rows for each page view read every row of the
-- board, and after folds those pages need heap visits (tens of ms at 50,000 members); the
-- fold keeps this count instead, from the rows it changes, and reads add the pending
-- deltas' changes as they do for values.
CREATE TABLE point_board (
    guild_id BIGINT NOT NULL,
    scope    BIGINT NOT NULL CHECK (scope >= 0),
    metric   SMALLINT NOT NULL CHECK (metric BETWEEN 1 AND 6),
    members  BIGINT NOT NULL CHECK (members >= 0),
    PRIMARY KEY (guild_id, scope, metric)
);

INSERT INTO point_board (guild_id, scope, metric, members)
SELECT guild_id, scope, metric, count(*) FILTER (WHERE value <> 0)
FROM point_sum GROUP BY 1, 2, 3;
