-- `/modmail close in:<duration>`: the ticket closes at `close_at` unless the member writes
-- again first (which clears it); the timer is a job due then that re-checks this row.
-- `close_silent`: the member is not told by DM when it closes.
ALTER TABLE modmail_ticket
    ADD COLUMN close_at TIMESTAMPTZ,
    ADD COLUMN close_scheduled_by TEXT,
    ADD COLUMN close_silent BOOLEAN NOT NULL DEFAULT false;
