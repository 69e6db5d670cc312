-- A scheduled close is announced once: the member is told by DM (unless it is silent) and
-- staff in the ticket's thread; `close_notified_at` is the `close_at` that was announced.
-- When the member's reply cancels it (close_at cleared), the thread is told and this is
-- cleared. The sync job does both, so a retry or a restart announces once.
ALTER TABLE modmail_ticket ADD COLUMN close_notified_at TIMESTAMPTZ;
