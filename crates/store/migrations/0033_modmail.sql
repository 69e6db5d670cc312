-- Modmail: tickets, every message both ways (the transcript), blacklists, and the DM
-- conversation steps before a ticket exists.
CREATE TABLE modmail_ticket (
    guild_id     BIGINT NOT NULL REFERENCES guild ON DELETE CASCADE,
    ticket_id    BIGINT GENERATED ALWAYS AS IDENTITY,
    code         TEXT NOT NULL CHECK (code ~ '^MM-[2-9A-Z]{4}$'),
    user_id      BIGINT NOT NULL CHECK (user_id > 0),
    status       TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    thread_id    BIGINT,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    closed_at    TIMESTAMPTZ,
    closed_by    TEXT,
    -- The closing summary was posted and the thread locked.
    close_done   BOOLEAN NOT NULL DEFAULT false,
    PRIMARY KEY (guild_id, ticket_id),
    UNIQUE (guild_id, code),
    CHECK ((status = 'open') = (closed_at IS NULL))
);
-- One open ticket per member per guild.
CREATE UNIQUE INDEX modmail_one_open ON modmail_ticket (guild_id, user_id) WHERE status = 'open';
CREATE INDEX modmail_ticket_by_user ON modmail_ticket (user_id, status);

CREATE TABLE modmail_message (
    guild_id     BIGINT NOT NULL,
    ticket_id    BIGINT NOT NULL,
    message_id   BIGINT GENERATED ALWAYS AS IDENTITY,
    direction    TEXT NOT NULL CHECK (direction IN ('member', 'staff')),
    author_id    BIGINT,
    author       TEXT NOT NULL,
    body         TEXT NOT NULL CHECK (char_length(body) <= 1900),
    attachments  TEXT[] NOT NULL DEFAULT '{}',
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Posted in the thread (member messages) or DMed to the member (staff messages).
    relayed_at   TIMESTAMPTZ,
    relay_error  TEXT,
    PRIMARY KEY (guild_id, ticket_id, message_id),
    FOREIGN KEY (guild_id, ticket_id) REFERENCES modmail_ticket ON DELETE CASCADE
);

CREATE TABLE modmail_blacklist (
    guild_id     BIGINT NOT NULL REFERENCES guild ON DELETE CASCADE,
    user_id      BIGINT NOT NULL,
    reason       TEXT NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 500),
    added_by     BIGINT,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (guild_id, user_id)
);

-- A member's DM conversation before a ticket opens. It precedes the guild choice, so it is
-- keyed by the user alone (the one table without a leading guild_id): `candidates` are the
-- guilds offered, `guild_id` the one chosen.
CREATE TABLE modmail_session (
    user_id      BIGINT PRIMARY KEY,
    step         TEXT NOT NULL CHECK (step IN ('choose_guild', 'confirm')),
    candidates   BIGINT[] NOT NULL,
    guild_id     BIGINT,
    body         TEXT NOT NULL CHECK (char_length(body) <= 1900),
    attachments  TEXT[] NOT NULL DEFAULT '{}',
    expires_at   TIMESTAMPTZ NOT NULL,
    CHECK ((step = 'confirm') = (guild_id IS NOT NULL))
);
