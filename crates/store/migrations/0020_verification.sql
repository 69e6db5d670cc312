-- Verification: per-guild settings, persisted DM sessions, IGN claims (mains and alts,
-- unique per guild case-insensitively), screenshot reviews, custom role verification, and
-- an event row per step (rendered into veri_log).

CREATE TABLE veri_config (
    guild_id                BIGINT PRIMARY KEY REFERENCES guild ON DELETE CASCADE,
    realmeye_enabled        BOOLEAN NOT NULL DEFAULT true,
    screenshot_enabled      BOOLEAN NOT NULL DEFAULT true,
    panel_message           TEXT CHECK (char_length(panel_message) <= 1500),
    image_url               TEXT CHECK (char_length(image_url) <= 500),
    min_rank                INTEGER CHECK (min_rank BETWEEN 0 AND 100),
    min_alive_fame          BIGINT CHECK (min_alive_fame >= 0),
    min_characters          INTEGER CHECK (min_characters BETWEEN 0 AND 100),
    min_account_age_days    INTEGER CHECK (min_account_age_days BETWEEN 0 AND 10000),
    require_hidden_location BOOLEAN NOT NULL DEFAULT false,
    updated_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (realmeye_enabled OR screenshot_enabled)
);

-- Every IGN a member holds in a guild: one main (also kept in member.ign) and any alts.
-- The primary key makes a name unique per guild across mains and alts, case-insensitively.
CREATE TABLE member_ign (
    guild_id   BIGINT NOT NULL,
    ign_key    TEXT NOT NULL CHECK (ign_key = lower(ign)),
    ign        TEXT NOT NULL CHECK (ign ~ '^[A-Za-z]{1,10}$'),
    user_id    BIGINT NOT NULL,
    is_main    BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (guild_id, ign_key),
    FOREIGN KEY (guild_id, user_id) REFERENCES member ON DELETE CASCADE
);
CREATE UNIQUE INDEX member_ign_one_main ON member_ign (guild_id, user_id) WHERE is_main;
CREATE INDEX member_ign_by_user ON member_ign (guild_id, user_id);

ALTER TABLE member
    ADD COLUMN verified_at TIMESTAMPTZ,
    ADD COLUMN verified_by BIGINT,
    ADD COLUMN verify_method TEXT CHECK (verify_method IN ('realmeye', 'screenshot', 'staff', 'sync'));

-- Extra roles a member can ask for with a reviewed screenshot (e.g. a completion role).
CREATE TABLE veri_custom_role (
    guild_id          BIGINT NOT NULL REFERENCES guild ON DELETE CASCADE,
    custom_role_id    BIGINT GENERATED ALWAYS AS IDENTITY,
    name              TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 80),
    role_id           BIGINT NOT NULL CHECK (role_id > 0),
    description       TEXT CHECK (char_length(description) <= 1500),
    review_channel_id BIGINT NOT NULL CHECK (review_channel_id > 0),
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (guild_id, custom_role_id),
    UNIQUE (guild_id, role_id)
);

-- A member's verification in progress, step by step. DMs carry no guild, so open
-- sessions are also found by user.
CREATE TABLE veri_session (
    guild_id       BIGINT NOT NULL REFERENCES guild ON DELETE CASCADE,
    session_id     BIGINT GENERATED ALWAYS AS IDENTITY,
    user_id        BIGINT NOT NULL CHECK (user_id > 0),
    method         TEXT NOT NULL CHECK (method IN ('realmeye', 'screenshot', 'custom_role')),
    custom_role_id BIGINT,
    step           TEXT NOT NULL CHECK (step IN (
                       'awaiting_ign', 'awaiting_done', 'awaiting_screenshot', 'under_review',
                       'verified', 'denied', 'cancelled', 'expired')),
    ign            TEXT CHECK (ign ~ '^[A-Za-z]{1,10}$'),
    code           TEXT,
    checks         INTEGER NOT NULL DEFAULT 0,
    last_check_at  TIMESTAMPTZ,
    last_failure   TEXT,
    expires_at     TIMESTAMPTZ NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (guild_id, session_id),
    FOREIGN KEY (guild_id, custom_role_id) REFERENCES veri_custom_role
);
CREATE UNIQUE INDEX veri_session_one_open ON veri_session (guild_id, user_id)
    WHERE step IN ('awaiting_ign', 'awaiting_done', 'awaiting_screenshot');
CREATE INDEX veri_session_open_by_user ON veri_session (user_id, updated_at DESC)
    WHERE step IN ('awaiting_ign', 'awaiting_done', 'awaiting_screenshot');

-- A screenshot waiting for staff; decided once.
CREATE TABLE veri_review (
    guild_id       BIGINT NOT NULL REFERENCES guild ON DELETE CASCADE,
    review_id      BIGINT GENERATED ALWAYS AS IDENTITY,
    session_id     BIGINT NOT NULL,
    user_id        BIGINT NOT NULL,
    ign            TEXT,
    custom_role_id BIGINT,
    attachment_url TEXT NOT NULL,
    channel_id     BIGINT,
    message_id     BIGINT,
    state          TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'denied')),
    decided_by     BIGINT,
    decided_at     TIMESTAMPTZ,
    reason         TEXT CHECK (char_length(reason) <= 1000),
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (guild_id, review_id),
    FOREIGN KEY (guild_id, session_id) REFERENCES veri_session,
    CHECK ((state = 'pending') = (decided_at IS NULL))
);

-- One row per verification step, for veri_log and history.
CREATE TABLE veri_event (
    guild_id   BIGINT NOT NULL REFERENCES guild ON DELETE CASCADE,
    event_id   BIGINT GENERATED ALWAYS AS IDENTITY,
    user_id    BIGINT NOT NULL,
    actor_id   BIGINT,
    kind       TEXT NOT NULL CHECK (kind IN (
                   'started', 'code_issued', 'check_failed', 'verified', 'denied',
                   'unverified', 'name_changed', 'alt_added', 'alt_removed', 'expired',
                   'cancelled', 'submitted', 'rename_failed', 'role_granted', 'synced')),
    ign        TEXT,
    detail     TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (guild_id, event_id)
);
CREATE INDEX veri_event_by_user ON veri_event (guild_id, user_id, created_at DESC);
