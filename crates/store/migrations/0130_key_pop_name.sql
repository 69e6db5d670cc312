-- The name of the key an organizer logged when it is not the dungeon's own (a custom key,
-- an event key): shown in the organizer's answer and the raid_log entry.
ALTER TABLE key_pop ADD COLUMN key_name TEXT CHECK (char_length(key_name) BETWEEN 1 AND 50);
