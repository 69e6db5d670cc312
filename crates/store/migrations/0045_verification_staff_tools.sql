-- Staff can list and remove custom role verifications. A removed one stays as a row (its
-- reviews and the roles they granted keep pointing at it) but no longer takes requests;
-- adding the same role again brings it back. The panels raidbot posts for one are
-- recorded so that removing it can delete them from Discord.

ALTER TABLE veri_custom_role
    ADD COLUMN removed_at TIMESTAMPTZ,
    ADD COLUMN removed_by BIGINT;

CREATE TABLE veri_custom_role_panel (
    guild_id       BIGINT NOT NULL,
    custom_role_id BIGINT NOT NULL,
    channel_id     BIGINT NOT NULL CHECK (channel_id > 0),
    message_id     BIGINT NOT NULL CHECK (message_id > 0),
    posted_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (guild_id, message_id),
    FOREIGN KEY (guild_id, custom_role_id) REFERENCES veri_custom_role ON DELETE CASCADE
);
CREATE INDEX veri_custom_role_panel_by_role ON veri_custom_role_panel (guild_id, custom_role_id);
