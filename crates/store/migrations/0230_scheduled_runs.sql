-- Scheduled raids: announced ahead of time, signed up for, reminded, opened by a timer.

-- The server's time zone (an IANA name, checked by the service) for local times in
-- `/schedule`, and how long before the start the reminder pings.
CREATE TABLE schedule_settings (
    guild_id         BIGINT PRIMARY KEY REFERENCES guild ON DELETE CASCADE,
    time_zone        TEXT NOT NULL DEFAULT 'UTC' CHECK (char_length(time_zone) <= 64),
    reminder_minutes INTEGER NOT NULL DEFAULT 15 CHECK (reminder_minutes BETWEEN 0 AND 1440),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE scheduled_run (
    guild_id         BIGINT NOT NULL REFERENCES guild ON DELETE CASCADE,
    schedule_id      BIGINT GENERATED ALWAYS AS IDENTITY,
    organizer_id     BIGINT NOT NULL CHECK (organizer_id > 0),
    dungeon_code     TEXT NOT NULL,
    description      TEXT CHECK (char_length(description) <= 500),
    raider_cap       INTEGER CHECK (raider_cap BETWEEN 1 AND 1000),
    starts_at        TIMESTAMPTZ NOT NULL,
    -- When the reminder goes out (starts_at less the lead, never before the scheduling).
    remind_at        TIMESTAMPTZ NOT NULL,
    reminded_at      TIMESTAMPTZ,
    status           TEXT NOT NULL DEFAULT 'scheduled'
                     CHECK (status IN ('scheduled', 'opened', 'cancelled')),
    run_id           BIGINT,
    opened_at        TIMESTAMPTZ,
    cancelled_at     TIMESTAMPTZ,
    panel_channel_id BIGINT,
    panel_message_id BIGINT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (guild_id, schedule_id),
    FOREIGN KEY (guild_id, run_id) REFERENCES run (guild_id, run_id),
    CHECK ((status = 'opened') = (run_id IS NOT NULL)),
    CHECK ((status = 'opened') = (opened_at IS NOT NULL)),
    CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL))
);
-- A button in a DM has no guild: the id alone finds the row.
CREATE UNIQUE INDEX scheduled_run_by_id ON scheduled_run (schedule_id);
CREATE INDEX scheduled_run_by_run ON scheduled_run (guild_id, run_id) WHERE run_id IS NOT NULL;

-- A member's answer: going (signed up) or maybe. Withdrawing deletes the row.
CREATE TABLE scheduled_signup (
    guild_id    BIGINT NOT NULL,
    schedule_id BIGINT NOT NULL,
    user_id     BIGINT NOT NULL CHECK (user_id > 0),
    kind        TEXT NOT NULL CHECK (kind IN ('going', 'maybe')),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (guild_id, schedule_id, user_id),
    FOREIGN KEY (guild_id, schedule_id) REFERENCES scheduled_run ON DELETE CASCADE
);
CREATE INDEX scheduled_signup_by_user ON scheduled_signup (guild_id, user_id);

-- A member saying they will bring a key (a reaction code of the dungeon).
CREATE TABLE scheduled_key (
    guild_id    BIGINT NOT NULL,
    schedule_id BIGINT NOT NULL,
    reaction    TEXT NOT NULL,
    user_id     BIGINT NOT NULL CHECK (user_id > 0),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (guild_id, schedule_id, reaction, user_id),
    FOREIGN KEY (guild_id, schedule_id) REFERENCES scheduled_run ON DELETE CASCADE
);
