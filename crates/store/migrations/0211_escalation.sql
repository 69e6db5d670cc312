-- Escalation rules: "3 warnings within 30 days -> suspend 2 days", "2 suspensions within
-- 90 days -> tell officers". Checked in the transaction that records the triggering
-- punishment; each firing is a row, so a rule fires once per punishment that reached it,
-- and only punishments given after its last firing count towards the next one.
CREATE TABLE escalation_rule (
    guild_id       BIGINT NOT NULL REFERENCES guild ON DELETE CASCADE,
    rule_id        BIGINT GENERATED ALWAYS AS IDENTITY,
    trigger_kind   TEXT NOT NULL CHECK (trigger_kind IN ('warn', 'suspend', 'mute')),
    threshold      SMALLINT NOT NULL CHECK (threshold BETWEEN 1 AND 20),
    within_days    SMALLINT NOT NULL CHECK (within_days BETWEEN 1 AND 365),
    action         TEXT NOT NULL CHECK (action IN ('suspend', 'mute', 'notify')),
    action_minutes INTEGER CHECK (action_minutes BETWEEN 1 AND 43200),
    created_by     TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    removed_at     TIMESTAMPTZ,
    PRIMARY KEY (guild_id, rule_id),
    CHECK ((action = 'notify') = (action_minutes IS NULL))
);

CREATE TABLE escalation_fire (
    guild_id              BIGINT NOT NULL REFERENCES guild ON DELETE CASCADE,
    rule_id               BIGINT NOT NULL,
    user_id               BIGINT NOT NULL,
    trigger_punishment_id BIGINT NOT NULL,
    result_punishment_id  BIGINT,
    fired_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (guild_id, rule_id, trigger_punishment_id),
    FOREIGN KEY (guild_id, rule_id) REFERENCES escalation_rule
);
CREATE INDEX escalation_fire_by_member ON escalation_fire (guild_id, rule_id, user_id, fired_at DESC);

-- Per guild: warnings older than this many days stop counting (NULL: they always count).
CREATE TABLE punishment_config (
    guild_id         BIGINT PRIMARY KEY REFERENCES guild ON DELETE CASCADE,
    warn_expiry_days SMALLINT CHECK (warn_expiry_days BETWEEN 1 AND 365)
);
