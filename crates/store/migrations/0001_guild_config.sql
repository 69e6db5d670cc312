-- Guilds and their configuration: role keys and channel keys mapped to Discord ids.
CREATE TABLE guild (
    guild_id             BIGINT PRIMARY KEY CHECK (guild_id > 0),
    run_auto_end_minutes INTEGER NOT NULL DEFAULT 120
                         CHECK (run_auto_end_minutes BETWEEN 1 AND 1440),
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at           TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE guild_role (
    guild_id        BIGINT NOT NULL REFERENCES guild ON DELETE CASCADE,
    role_key        TEXT NOT NULL CHECK (role_key IN (
                        'administrator', 'moderator', 'head_organizer', 'officer', 'security',
                        'organizer', 'team', 'verified_raider', 'suspended', 'muted')),
    discord_role_id BIGINT NOT NULL CHECK (discord_role_id > 0),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (guild_id, role_key)
);

CREATE TABLE guild_channel (
    guild_id           BIGINT NOT NULL REFERENCES guild ON DELETE CASCADE,
    channel_key        TEXT NOT NULL CHECK (channel_key IN (
                           'raid', 'raid_log', 'party_finder', 'early_loc', 'role_ping',
                           'getverified', 'manual_verification', 'veri_log', 'punishment_log',
                           'quota', 'quota_log', 'bot_log', 'staff_updates', 'modmail')),
    discord_channel_id BIGINT NOT NULL CHECK (discord_channel_id > 0),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (guild_id, channel_key)
);

-- A Discord user as a member of one guild's raiding community (raider record).
CREATE TABLE member (
    guild_id      BIGINT NOT NULL REFERENCES guild ON DELETE CASCADE,
    user_id       BIGINT NOT NULL CHECK (user_id > 0),
    ign           TEXT,
    status        TEXT NOT NULL DEFAULT 'unverified'
                  CHECK (status IN ('unverified', 'pending', 'verified', 'banned', 'left')),
    first_seen_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (guild_id, user_id)
);
CREATE UNIQUE INDEX member_ign_per_guild ON member (guild_id, lower(ign)) WHERE ign IS NOT NULL;
