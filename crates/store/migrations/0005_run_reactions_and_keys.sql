-- Everything a run panel tracks beyond joins: bench and removals, key and other
-- reactions, key pops with who was present, and the organizer panel's settings.

ALTER TABLE run
    ADD COLUMN chain_amount       INTEGER CHECK (chain_amount BETWEEN 1 AND 100),
    ADD COLUMN key_window_ends_at TIMESTAMPTZ,
    ADD COLUMN location_set_at    TIMESTAMPTZ,
    ADD COLUMN o3_stage           TEXT CHECK (o3_stage IN ('realm_closed', 'miniboss', 'third_room')),
    ADD COLUMN o3_miniboss        TEXT,
    ADD COLUMN realm_score        SMALLINT CHECK (realm_score BETWEEN 1 AND 99),
    ADD COLUMN screenshot_url     TEXT,
    ADD COLUMN o3_ping_message_id BIGINT;

-- Benched raiders wait in order (joined_at) for a free place; removed raiders may not
-- rejoin unless the organizer allows it.
ALTER TABLE run_participant DROP CONSTRAINT run_participant_state_check;
ALTER TABLE run_participant
    ADD CONSTRAINT run_participant_state_check
        CHECK (state IN ('joined', 'benched', 'left', 'removed')),
    ADD COLUMN removed_by     BIGINT,
    ADD COLUMN removed_reason TEXT CHECK (char_length(removed_reason) <= 200),
    ADD COLUMN rejoin_allowed BOOLEAN NOT NULL DEFAULT false;

-- A member reacting on a run with a key or another catalog reaction (item, status effect,
-- early location, class). Pressing again withdraws it: the row is deleted.
CREATE TABLE run_reaction (
    guild_id     BIGINT NOT NULL,
    run_id       BIGINT NOT NULL,
    reaction     TEXT NOT NULL,
    user_id      BIGINT NOT NULL CHECK (user_id > 0),
    -- Among the first `max_early_location` for this reaction: gets the location early.
    early        BOOLEAN NOT NULL DEFAULT false,
    -- When the location was last sent to this member.
    location_sent_at TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (guild_id, run_id, reaction, user_id),
    FOREIGN KEY (guild_id, run_id) REFERENCES run ON DELETE CASCADE
);
CREATE INDEX run_reaction_by_run ON run_reaction (guild_id, run_id, reaction, created_at);

-- Keys popped: in a run (run_id set) or logged by hand (/logkey, run_id NULL).
CREATE TABLE key_pop (
    guild_id     BIGINT NOT NULL REFERENCES guild ON DELETE CASCADE,
    pop_id       BIGINT GENERATED ALWAYS AS IDENTITY,
    run_id       BIGINT,
    user_id      BIGINT NOT NULL CHECK (user_id > 0),
    dungeon_code TEXT NOT NULL,
    reaction     TEXT,
    count        INTEGER NOT NULL CHECK (count <> 0 AND count BETWEEN -999 AND 999),
    logged_by    BIGINT,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (guild_id, pop_id),
    FOREIGN KEY (guild_id, run_id) REFERENCES run ON DELETE CASCADE
);
CREATE INDEX key_pop_by_run ON key_pop (guild_id, run_id, created_at) WHERE run_id IS NOT NULL;
CREATE INDEX key_pop_by_member ON key_pop (guild_id, user_id, created_at);

-- Raiders present at each key pop (the roster snapshot a completion is credited to).
CREATE TABLE key_pop_raider (
    guild_id BIGINT NOT NULL,
    pop_id   BIGINT NOT NULL,
    user_id  BIGINT NOT NULL,
    PRIMARY KEY (guild_id, pop_id, user_id),
    FOREIGN KEY (guild_id, pop_id) REFERENCES key_pop ON DELETE CASCADE
);

-- Dungeon → Discord role to mention when a run of it is posted (/configrolepings).
CREATE TABLE dungeon_role_ping (
    guild_id     BIGINT NOT NULL REFERENCES guild ON DELETE CASCADE,
    dungeon_code TEXT NOT NULL,
    role_id      BIGINT NOT NULL CHECK (role_id > 0),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (guild_id, dungeon_code)
);

-- Roles raidbot created (run roles), so cleanup deletes only those.
CREATE TABLE bot_role (
    guild_id   BIGINT NOT NULL REFERENCES guild ON DELETE CASCADE,
    role_id    BIGINT NOT NULL CHECK (role_id > 0),
    purpose    TEXT NOT NULL CHECK (purpose IN ('run')),
    ref_id     BIGINT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    deleted_at TIMESTAMPTZ,
    PRIMARY KEY (guild_id, role_id)
);
