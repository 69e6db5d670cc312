-- The level of an actor the bot cannot see on Discord (a REST API key): the job that
-- applies the punishment re-checks Discord's hierarchy against it before acting.
ALTER TABLE punishment
    ADD COLUMN actor_level SMALLINT CHECK (actor_level BETWEEN 1 AND 8);
