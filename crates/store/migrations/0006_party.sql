-- Party finder: member-run parties, each a post with a thread in the party_finder channel.
-- Closed by the owner, a moderator, or its timer (a job row); the row is kept afterwards.
CREATE TABLE party (
    guild_id     BIGINT NOT NULL REFERENCES guild ON DELETE CASCADE,
    party_id     BIGINT GENERATED ALWAYS AS IDENTITY,
    owner_id     BIGINT NOT NULL CHECK (owner_id > 0),
    name         TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 60),
    location     TEXT CHECK (char_length(location) <= 100),
    description  TEXT CHECK (char_length(description) <= 500),
    channel_id   BIGINT NOT NULL CHECK (channel_id > 0),
    message_id   BIGINT,
    thread_id    BIGINT,
    status       TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    closes_at    TIMESTAMPTZ NOT NULL,
    extended_at  TIMESTAMPTZ,
    closed_at    TIMESTAMPTZ,
    closed_by    BIGINT,
    close_reason TEXT CHECK (close_reason IN ('owner', 'moderator', 'auto')),
    PRIMARY KEY (guild_id, party_id),
    CHECK (closes_at > created_at),
    CHECK ((status = 'closed') = (closed_at IS NOT NULL)),
    CHECK ((status = 'closed') = (close_reason IS NOT NULL)),
    CHECK (close_reason IS DISTINCT FROM 'auto' OR closed_by IS NULL)
);
-- One open party per member, enforced by the database.
CREATE UNIQUE INDEX party_one_open_per_owner ON party (guild_id, owner_id) WHERE status = 'open';
-- The per-member hourly creation limit counts these rows.
CREATE INDEX party_by_owner_created ON party (guild_id, owner_id, created_at DESC);
