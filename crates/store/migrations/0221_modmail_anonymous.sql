-- A staff reply sent as "Staff": the member never sees who wrote it; the transcript keeps
-- the author for staff.
ALTER TABLE modmail_message ADD COLUMN anonymous BOOLEAN NOT NULL DEFAULT false;
