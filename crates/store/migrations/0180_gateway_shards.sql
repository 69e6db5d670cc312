-- Scale-out (issue 18): what several bot processes share about their gateway shards.
-- Both are small reference tables (not per guild).

-- One row per identify bucket (shard_id % max_concurrency): when a shard of any process
-- last identified in it. Discord allows one IDENTIFY per bucket per 5 s.
CREATE TABLE gateway_identify_bucket (
    bucket integer PRIMARY KEY CHECK (bucket >= 0),
    last_identify_at timestamptz NOT NULL
);

-- Each shard's last session, so a restarted process resumes instead of identifying.
CREATE TABLE gateway_session (
    shard_total integer NOT NULL CHECK (shard_total >= 1),
    shard_id integer NOT NULL CHECK (shard_id >= 0 AND shard_id < shard_total),
    session_id text NOT NULL,
    sequence bigint NOT NULL CHECK (sequence >= 0),
    resume_url text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shard_total, shard_id)
);
