-- Quota and raider points. Every award is an append-only point_event; the summary table
-- point_sum is maintained in the same transaction as the events it sums (never a counter
-- that can drift: a test checks it equals the events after random sequences). Amounts are
-- integer hundredths of a point.

CREATE TABLE point_event (
    guild_id     BIGINT NOT NULL REFERENCES guild ON DELETE CASCADE,
    event_id     BIGINT GENERATED ALWAYS AS IDENTITY,
    member_id    BIGINT NOT NULL CHECK (member_id > 0),
    currency     TEXT NOT NULL CHECK (currency IN ('quota', 'raider')),
    kind         TEXT NOT NULL CHECK (kind IN (
                     'run_organized', 'run_completed', 'key_popped', 'mod_warn', 'mod_suspend',
                     'mod_verify', 'mod_editname', 'mod_modmail_reply', 'adjustment',
                     'run_logged', 'key_logged')),
    -- Hundredths of a point (125 = 1.25).
    amount       BIGINT NOT NULL,
    -- How many runs, dungeons, keys or actions this event stands for (counts in stats).
    units        INTEGER NOT NULL DEFAULT 1,
    dungeon_code TEXT,
    -- Where it came from: `run:<id>`, `pop:<id>`, `adj:<n>`, `mod:<ref>`. Automatic awards
    -- are exactly-once through the unique key below.
    source       TEXT NOT NULL,
    caused_by    BIGINT,
    reason       TEXT CHECK (char_length(reason) <= 200),
    -- The leaderboard period (point_period, scope 0) the event counts in.
    period_id    BIGINT,
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (guild_id, event_id),
    UNIQUE (guild_id, source, member_id, kind)
);
CREATE INDEX point_event_by_member ON point_event (guild_id, member_id, currency, created_at)
    INCLUDE (amount, units, kind, dungeon_code);

CREATE SEQUENCE point_adjustment_seq;

-- Periods, materialized as rows so finished ones stay queryable. scope_id 0 is the guild's
-- leaderboard period (schedule in point_config); any other value is a quota role's id.
CREATE TABLE point_period (
    guild_id  BIGINT NOT NULL REFERENCES guild ON DELETE CASCADE,
    period_id BIGINT GENERATED ALWAYS AS IDENTITY,
    scope_id  BIGINT NOT NULL CHECK (scope_id >= 0),
    starts_at TIMESTAMPTZ NOT NULL,
    ends_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (guild_id, period_id),
    UNIQUE (guild_id, scope_id, starts_at),
    CHECK (ends_at > starts_at)
);
CREATE INDEX point_period_by_end ON point_period (guild_id, scope_id, ends_at DESC);

-- Per member and metric: the sum of the events' contributions, all time (scope 0) and per
-- leaderboard period (scope = period_id). reached_at: when the value last changed, so ties
-- rank whoever reached the value first higher.
CREATE TABLE point_sum (
    guild_id   BIGINT NOT NULL,
    scope      BIGINT NOT NULL CHECK (scope >= 0),
    metric     SMALLINT NOT NULL CHECK (metric BETWEEN 1 AND 6),
    member_id  BIGINT NOT NULL,
    value      BIGINT NOT NULL,
    reached_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (guild_id, scope, metric, member_id)
);
CREATE INDEX point_sum_rank ON point_sum (guild_id, scope, metric, value DESC, reached_at, member_id);

-- The guild's raider-points settings and leaderboard period.
CREATE TABLE point_config (
    guild_id          BIGINT PRIMARY KEY REFERENCES guild ON DELETE CASCADE,
    -- Defaults for dungeons without their own value (hundredths).
    completion_points BIGINT NOT NULL DEFAULT 100 CHECK (completion_points BETWEEN 0 AND 999900),
    key_pop_points    BIGINT NOT NULL DEFAULT 100 CHECK (key_pop_points BETWEEN 0 AND 999900),
    schedule          JSONB NOT NULL DEFAULT '{"kind":"weekly","weekday":0,"hour":0,"minute":0}',
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE point_dungeon (
    guild_id          BIGINT NOT NULL REFERENCES guild ON DELETE CASCADE,
    dungeon_code      TEXT NOT NULL,
    completion_points BIGINT CHECK (completion_points BETWEEN 0 AND 999900),
    key_pop_points    BIGINT CHECK (key_pop_points BETWEEN 0 AND 999900),
    PRIMARY KEY (guild_id, dungeon_code)
);

-- A quota role and its settings (/configquota role).
CREATE TABLE quota_role (
    guild_id          BIGINT NOT NULL REFERENCES guild ON DELETE CASCADE,
    role_id           BIGINT NOT NULL CHECK (role_id > 0),
    required_points   BIGINT NOT NULL DEFAULT 0 CHECK (required_points BETWEEN 0 AND 999900),
    schedule          JSONB NOT NULL DEFAULT '{"kind":"weekly","weekday":0,"hour":0,"minute":0}',
    exalt_points      BIGINT NOT NULL DEFAULT 100 CHECK (exalt_points BETWEEN 0 AND 999900),
    non_exalt_points  BIGINT NOT NULL DEFAULT 100 CHECK (non_exalt_points BETWEEN 0 AND 999900),
    -- Moderation action → hundredths, e.g. {"warn": 50}.
    moderation_points JSONB NOT NULL DEFAULT '{}',
    -- Discord role position (higher wins when a member holds several quota roles).
    position          INTEGER NOT NULL DEFAULT 0,
    panel_channel_id  BIGINT,
    panel_message_ids BIGINT[] NOT NULL DEFAULT '{}',
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (guild_id, role_id)
);

CREATE TABLE quota_dungeon (
    guild_id     BIGINT NOT NULL,
    role_id      BIGINT NOT NULL,
    dungeon_code TEXT NOT NULL,
    points       BIGINT NOT NULL CHECK (points BETWEEN 0 AND 999900),
    PRIMARY KEY (guild_id, role_id, dungeon_code),
    FOREIGN KEY (guild_id, role_id) REFERENCES quota_role ON DELETE CASCADE
);

-- Which Discord roles each member holds, as last seen by the bot (interactions,
-- GUILD_CREATE member lists, GUILD_MEMBER_ADD/UPDATE/REMOVE). Quota panels read it.
CREATE TABLE member_role (
    guild_id BIGINT NOT NULL,
    user_id  BIGINT NOT NULL CHECK (user_id > 0),
    role_id  BIGINT NOT NULL CHECK (role_id > 0),
    PRIMARY KEY (guild_id, user_id, role_id)
);
CREATE INDEX member_role_by_role ON member_role (guild_id, role_id, user_id);
