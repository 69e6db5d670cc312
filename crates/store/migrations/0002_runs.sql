-- Raid runs and who is in them.
CREATE TABLE run (
    guild_id         BIGINT NOT NULL REFERENCES guild ON DELETE CASCADE,
    run_id           BIGINT GENERATED ALWAYS AS IDENTITY,
    organizer_id     BIGINT NOT NULL CHECK (organizer_id > 0),
    dungeon_code     TEXT NOT NULL,
    party            TEXT CHECK (char_length(party) <= 100),
    location         TEXT CHECK (char_length(location) <= 100),
    description      TEXT CHECK (char_length(description) <= 500),
    status           TEXT NOT NULL DEFAULT 'open'
                     CHECK (status IN ('open', 'live', 'ended', 'cancelled')),
    raider_cap       INTEGER CHECK (raider_cap BETWEEN 1 AND 1000),
    join_locked      BOOLEAN NOT NULL DEFAULT false,
    auto_end_at      TIMESTAMPTZ NOT NULL,
    panel_channel_id BIGINT,
    panel_message_id BIGINT,
    run_role_id      BIGINT,
    ping_message_id  BIGINT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    started_at       TIMESTAMPTZ,
    ended_at         TIMESTAMPTZ,
    cancelled_at     TIMESTAMPTZ,
    closed_by        BIGINT,
    close_reason     TEXT CHECK (close_reason IN ('organizer', 'staff', 'auto')),
    PRIMARY KEY (guild_id, run_id),
    CHECK ((status = 'ended') = (ended_at IS NOT NULL)),
    CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL)),
    CHECK (status NOT IN ('live', 'ended') OR started_at IS NOT NULL),
    CHECK ((status IN ('ended', 'cancelled')) = (close_reason IS NOT NULL))
);
-- One active run per organizer, enforced by the database (not by a read-then-write).
CREATE UNIQUE INDEX run_one_active_per_organizer
    ON run (guild_id, organizer_id) WHERE status IN ('open', 'live');
CREATE INDEX run_by_status ON run (guild_id, status, run_id DESC);
CREATE INDEX run_active_by_auto_end ON run (auto_end_at) WHERE status IN ('open', 'live');

CREATE TABLE run_participant (
    guild_id   BIGINT NOT NULL,
    run_id     BIGINT NOT NULL,
    user_id    BIGINT NOT NULL CHECK (user_id > 0),
    state      TEXT NOT NULL CHECK (state IN ('joined', 'left')),
    class      TEXT,
    joined_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (guild_id, run_id, user_id),
    FOREIGN KEY (guild_id, run_id) REFERENCES run ON DELETE CASCADE
);
CREATE INDEX run_participant_by_state ON run_participant (guild_id, run_id, state, joined_at);
