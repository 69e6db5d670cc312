-- Prints the create_distributed_table calls for a Citus deployment of raidbot, in the
-- order Citus needs them (guild first, every referenced table before the tables that
-- reference it), for the schema of the database it runs in (after `raidbot migrate`):
--   psql "$DATABASE_URL" -Atf scripts/citus-distribute.sql > distribute.sql
-- A table is distributed when its primary key starts with guild_id (the catalogue test,
-- crates/store/tests/catalogue.rs, holds every table to that rule and runs this query).
-- See docs/scaling.md for the reference and coordinator tables.
WITH RECURSIVE dist AS (
    SELECT c.oid, c.relname::text AS name
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0]
     WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attname = 'guild_id'),
depth (oid, d) AS (
    SELECT oid, 0 FROM dist
    UNION ALL
    SELECT con.conrelid, depth.d + 1
      FROM pg_constraint con JOIN depth ON con.confrelid = depth.oid
     WHERE con.contype = 'f' AND con.conrelid <> con.confrelid AND depth.d < 50)
SELECT format('SELECT create_distributed_table(%L, %L, colocate_with => %L);', name,
              'guild_id', CASE WHEN name = 'guild' THEN 'default' ELSE 'guild' END)
  FROM dist JOIN (SELECT oid, max(d) AS d FROM depth GROUP BY oid) x USING (oid)
 ORDER BY name <> 'guild', x.d, name;
