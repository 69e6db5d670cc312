-- Headcounts: "who would come?" before a run. The original kept them in memory only.
CREATE TABLE headcount (
    guild_id         BIGINT NOT NULL REFERENCES guild ON DELETE CASCADE,
    headcount_id     BIGINT GENERATED ALWAYS AS IDENTITY,
    organizer_id     BIGINT NOT NULL CHECK (organizer_id > 0),
    status           TEXT NOT NULL DEFAULT 'open'
                     CHECK (status IN ('open', 'converted', 'ended')),
    -- When the forgotten-headcount timer closes it.
    auto_end_at      TIMESTAMPTZ NOT NULL,
    panel_channel_id BIGINT,
    panel_message_id BIGINT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    closed_at        TIMESTAMPTZ,
    closed_by        BIGINT,
    close_reason     TEXT CHECK (close_reason IN ('organizer', 'staff', 'auto')),
    converted_run_id BIGINT,
    PRIMARY KEY (guild_id, headcount_id),
    FOREIGN KEY (guild_id, converted_run_id) REFERENCES run (guild_id, run_id),
    CHECK ((status = 'open') = (closed_at IS NULL)),
    CHECK ((status = 'open') = (close_reason IS NULL)),
    CHECK ((status = 'converted') = (converted_run_id IS NOT NULL))
);
-- One open headcount per organizer (runs are checked under the same advisory lock).
CREATE UNIQUE INDEX headcount_one_open_per_organizer
    ON headcount (guild_id, organizer_id) WHERE status = 'open';
CREATE INDEX headcount_by_status ON headcount (guild_id, status, headcount_id DESC);

-- The dungeons a headcount asks about, in the order the organizer picked them.
CREATE TABLE headcount_dungeon (
    guild_id     BIGINT NOT NULL,
    headcount_id BIGINT NOT NULL,
    position     SMALLINT NOT NULL CHECK (position BETWEEN 0 AND 24),
    dungeon_code TEXT NOT NULL,
    PRIMARY KEY (guild_id, headcount_id, position),
    UNIQUE (guild_id, headcount_id, dungeon_code),
    FOREIGN KEY (guild_id, headcount_id) REFERENCES headcount ON DELETE CASCADE
);

-- A member's answer: interest in a dungeon, or holding a key. Pressing again withdraws it
-- (the row is deleted).
CREATE TABLE headcount_reaction (
    guild_id     BIGINT NOT NULL,
    headcount_id BIGINT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('interest', 'key')),
    -- A dungeon code (interest) or a reaction code (key).
    code         TEXT NOT NULL,
    user_id      BIGINT NOT NULL CHECK (user_id > 0),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (guild_id, headcount_id, kind, code, user_id),
    FOREIGN KEY (guild_id, headcount_id) REFERENCES headcount ON DELETE CASCADE
);
CREATE INDEX headcount_reaction_by_time
    ON headcount_reaction (guild_id, headcount_id, kind, code, created_at);

-- The /headcount picker's choices so far (an ephemeral message's state must survive a
-- restart too). Deleted when the headcount is posted or the organizer opens a new picker.
CREATE TABLE headcount_draft (
    guild_id     BIGINT NOT NULL REFERENCES guild ON DELETE CASCADE,
    draft_id     BIGINT GENERATED ALWAYS AS IDENTITY,
    organizer_id BIGINT NOT NULL CHECK (organizer_id > 0),
    -- The category whose dungeons the picker shows.
    category     TEXT,
    dungeons     TEXT[] NOT NULL DEFAULT '{}',
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (guild_id, draft_id)
);
CREATE INDEX headcount_draft_by_organizer ON headcount_draft (guild_id, organizer_id);
