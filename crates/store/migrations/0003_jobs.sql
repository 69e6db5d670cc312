-- Durable work: Discord side effects (the outbox) and timers, in one table.
-- A job is claimed with FOR UPDATE SKIP LOCKED, so any number of processes can deliver.
CREATE TABLE job (
    job_id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    guild_id     BIGINT NOT NULL,
    kind         TEXT NOT NULL,
    -- Jobs with the same key coalesce while pending: a second enqueue is absorbed by the
    -- first, which reads the latest state when it runs.
    dedupe_key   TEXT,
    payload      JSONB NOT NULL DEFAULT '{}'::jsonb,
    due_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    state        TEXT NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'running', 'done', 'failed')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    locked_until TIMESTAMPTZ,
    last_error   TEXT,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at  TIMESTAMPTZ
);
CREATE UNIQUE INDEX job_pending_dedupe ON job (guild_id, kind, dedupe_key)
    WHERE state = 'pending' AND dedupe_key IS NOT NULL;
CREATE INDEX job_due ON job (due_at) WHERE state = 'pending';
CREATE INDEX job_running ON job (locked_until) WHERE state = 'running';
