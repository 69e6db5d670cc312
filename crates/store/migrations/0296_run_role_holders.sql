-- Who holds a run's role on Discord, as raidbot last gave or took it (issue 15). One job per
-- run compares the roster with these rows and gives or takes the difference, a slice at a
-- time, instead of one job per member that read the whole roster each (a run of N raiders
-- cost N jobs and N² roster rows read). Rows go with the run; a lost role forgets them all.
CREATE TABLE run_role_holder (
    guild_id BIGINT NOT NULL,
    run_id   BIGINT NOT NULL,
    user_id  BIGINT NOT NULL CHECK (user_id > 0),
    PRIMARY KEY (guild_id, run_id, user_id),
    FOREIGN KEY (guild_id, run_id) REFERENCES run ON DELETE CASCADE
);
