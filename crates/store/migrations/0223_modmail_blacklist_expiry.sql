-- A temporary modmail blacklist ends at `expires_at` (NULL: until lifted); the member is
-- told by DM when it ends, by a job due then.
ALTER TABLE modmail_blacklist ADD COLUMN expires_at TIMESTAMPTZ;
