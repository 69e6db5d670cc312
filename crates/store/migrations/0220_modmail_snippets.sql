-- Saved answers staff send with `/modmailreply snippet:<name>`, per guild.
CREATE TABLE modmail_snippet (
    guild_id     BIGINT NOT NULL REFERENCES guild ON DELETE CASCADE,
    name         TEXT NOT NULL CHECK (name ~ '^[a-z0-9_-]{1,32}$'),
    body         TEXT NOT NULL CHECK (char_length(body) BETWEEN 1 AND 1900),
    created_by   BIGINT,
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (guild_id, name)
);
