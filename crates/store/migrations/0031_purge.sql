-- Each /purge use: the per-member limits (3 a minute, 10 an hour) are counted from these.
CREATE TABLE purge_use (
    guild_id   BIGINT NOT NULL REFERENCES guild ON DELETE CASCADE,
    use_id     BIGINT GENERATED ALWAYS AS IDENTITY,
    user_id    BIGINT NOT NULL CHECK (user_id > 0),
    channel_id BIGINT NOT NULL CHECK (channel_id > 0),
    requested  SMALLINT NOT NULL CHECK (requested BETWEEN 1 AND 25),
    deleted    SMALLINT CHECK (deleted BETWEEN 0 AND 25),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (guild_id, use_id)
);
CREATE INDEX purge_use_by_member ON purge_use (guild_id, user_id, created_at DESC);
