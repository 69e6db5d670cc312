-- The public leaderboard page of a server (issue 19): off until an administrator turns it
-- on, and then only the categories chosen, with in-game names only when chosen.
CREATE TABLE guild_public_board (
    guild_id   BIGINT PRIMARY KEY REFERENCES guild ON DELETE CASCADE,
    enabled    BOOLEAN NOT NULL DEFAULT false,
    metrics    TEXT[] NOT NULL DEFAULT '{}',
    show_names BOOLEAN NOT NULL DEFAULT false,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
