-- Every command and component use.
CREATE TABLE command_log (
    guild_id   BIGINT NOT NULL,
    log_id     BIGINT GENERATED ALWAYS AS IDENTITY,
    user_id    BIGINT NOT NULL,
    command    TEXT NOT NULL,
    options    JSONB NOT NULL DEFAULT '{}'::jsonb,
    outcome    TEXT NOT NULL CHECK (outcome IN ('ok', 'refused', 'error')),
    error_code TEXT,
    latency_ms INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (guild_id, log_id)
);
CREATE INDEX command_log_by_time ON command_log (guild_id, created_at DESC);

-- Every configuration change: who, what, before, after.
CREATE TABLE audit_log (
    guild_id   BIGINT NOT NULL,
    audit_id   BIGINT GENERATED ALWAYS AS IDENTITY,
    actor_id   BIGINT,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    before     JSONB,
    after      JSONB,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (guild_id, audit_id)
);

-- Per-guild REST API keys: only a hash is stored; the key is shown once.
CREATE TABLE api_key (
    guild_id     BIGINT NOT NULL REFERENCES guild ON DELETE CASCADE,
    key_id       BIGINT GENERATED ALWAYS AS IDENTITY,
    label        TEXT NOT NULL CHECK (char_length(label) BETWEEN 1 AND 100),
    level        SMALLINT NOT NULL CHECK (level BETWEEN 1 AND 8),
    key_hash     BYTEA NOT NULL UNIQUE,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at   TIMESTAMPTZ,
    PRIMARY KEY (guild_id, key_id)
);
