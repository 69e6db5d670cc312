-- Who closed a run, for closers without a Discord user id: an API key is recorded by its
-- label ("api key 'dashboard' (#3)"), as punishments keep ended_by_label. Members keep
-- their id in closed_by (and their label here); the auto-end timer leaves both empty.
ALTER TABLE run ADD COLUMN closed_by_label TEXT CHECK (char_length(closed_by_label) <= 200);
