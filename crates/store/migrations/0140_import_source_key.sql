-- Rows brought over from another bot's database (`raidbot import console`): one row per
-- source row written, so running the import again skips what it already wrote and a later
-- run writes only rows that are new in the source. `target_id` is the raidbot row it
-- became (a punishment id, a ticket id, …), so staff can trace an old id to the new one.
CREATE TABLE import_source_key (
    guild_id     BIGINT NOT NULL,
    source       TEXT NOT NULL CHECK (source IN ('console')),
    source_table TEXT NOT NULL,
    source_id    TEXT NOT NULL,
    target_id    TEXT,
    imported_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (guild_id, source, source_table, source_id)
);
