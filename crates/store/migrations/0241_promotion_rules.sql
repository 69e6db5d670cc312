-- Automatic promotion roles (/configpromotions): a rule gives a role once a member's
-- all-time total reaches a threshold (runs completed of one dungeon or all, keys popped,
-- raider points), optionally taking a lower role away.
CREATE TABLE promotion_rule (
    guild_id       BIGINT NOT NULL,
    rule_id        BIGINT GENERATED ALWAYS AS IDENTITY,
    kind           TEXT NOT NULL CHECK (kind IN ('completions', 'keys', 'raider_points')),
    dungeon_code   TEXT,
    threshold      BIGINT NOT NULL CHECK (threshold > 0),
    role_id        BIGINT NOT NULL,
    remove_role_id BIGINT,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (guild_id, rule_id),
    CHECK (kind <> 'raider_points' OR dungeon_code IS NULL)
);

-- One row per member and rule ever granted: the primary key makes a promotion happen
-- exactly once, whichever award (or retroactive pass) crosses the threshold first.
CREATE TABLE promotion_grant (
    guild_id   BIGINT NOT NULL,
    rule_id    BIGINT NOT NULL,
    member_id  BIGINT NOT NULL,
    granted_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (guild_id, rule_id, member_id),
    FOREIGN KEY (guild_id, rule_id) REFERENCES promotion_rule (guild_id, rule_id)
        ON DELETE CASCADE
);
