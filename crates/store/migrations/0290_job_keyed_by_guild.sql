-- Growing past one PostgreSQL (issue 18): the outbox is keyed by guild like every other
-- server's table, so a distributed deployment can place a server's jobs on the node that
-- holds the server's rows (one-node transactions for a use case and the jobs it queues).
-- Every job already names its guild; job_id stays an identity, unique within its guild.
-- The unique dedupe index already starts with guild_id; the other indexes are not unique.
ALTER TABLE job DROP CONSTRAINT job_pkey;
ALTER TABLE job ADD PRIMARY KEY (guild_id, job_id);
-- Every job belongs to a real guild (a Discord id is positive): there is no shared
-- "guild 0" shard; work of no server would get its own small table (docs/scaling.md).
ALTER TABLE job ADD CONSTRAINT job_guild_id_check CHECK (guild_id > 0);
