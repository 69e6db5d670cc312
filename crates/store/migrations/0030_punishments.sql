-- Punishments and staff notes: append-only. A punishment ends by expiring or being
-- removed (status), a note by being removed (removed_at); neither is ever deleted.
CREATE TABLE punishment (
    guild_id       BIGINT NOT NULL REFERENCES guild ON DELETE CASCADE,
    punishment_id  BIGINT GENERATED ALWAYS AS IDENTITY,
    -- What staff type: `P-4K7Q2`.
    code           TEXT NOT NULL CHECK (code ~ '^P-[2-9A-Z]{5}$'),
    kind           TEXT NOT NULL
                   CHECK (kind IN ('warn', 'suspend', 'mute', 'kick', 'ban', 'softban')),
    user_id        BIGINT NOT NULL CHECK (user_id > 0),
    actor_id       BIGINT,
    actor          TEXT NOT NULL,
    reason         TEXT NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 500),
    delete_days    SMALLINT CHECK (delete_days BETWEEN 0 AND 7),
    status         TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'expired', 'removed')),
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at     TIMESTAMPTZ,
    -- What happened to the DM to the member: sent, closed (50007), failed (other).
    dm_status      TEXT CHECK (dm_status IN ('sent', 'closed', 'failed')),
    -- When Discord's side (role, kick, ban) was done, and why it could not be if not.
    applied_at     TIMESTAMPTZ,
    apply_error    TEXT,
    ended_at       TIMESTAMPTZ,
    ended_by       BIGINT,
    ended_by_label TEXT,
    end_reason     TEXT CHECK (char_length(end_reason) <= 500),
    PRIMARY KEY (guild_id, punishment_id),
    UNIQUE (guild_id, code),
    CHECK ((kind IN ('suspend', 'mute')) = (expires_at IS NOT NULL)),
    CHECK (expires_at IS NULL OR expires_at > created_at),
    CHECK ((status = 'active') = (ended_at IS NULL)),
    CHECK (status <> 'expired' OR kind IN ('suspend', 'mute'))
);
CREATE INDEX punishment_by_member ON punishment (guild_id, user_id, created_at DESC);
-- One running suspension and one running mute per member.
CREATE UNIQUE INDEX punishment_one_active_timed ON punishment (guild_id, user_id, kind)
    WHERE status = 'active' AND kind IN ('suspend', 'mute');

CREATE TABLE member_note (
    guild_id     BIGINT NOT NULL REFERENCES guild ON DELETE CASCADE,
    note_id      BIGINT GENERATED ALWAYS AS IDENTITY,
    user_id      BIGINT NOT NULL CHECK (user_id > 0),
    author_id    BIGINT,
    author       TEXT NOT NULL,
    body         TEXT NOT NULL CHECK (char_length(body) BETWEEN 1 AND 1000),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    removed_at   TIMESTAMPTZ,
    removed_by   BIGINT,
    PRIMARY KEY (guild_id, note_id)
);
CREATE INDEX member_note_by_member ON member_note (guild_id, user_id, created_at DESC);
