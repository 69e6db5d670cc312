-- A screenshot review of a custom role verification that staff removed is withdrawn: it
-- can no longer be decided, and its card says why.
ALTER TABLE veri_review DROP CONSTRAINT veri_review_state_check;
ALTER TABLE veri_review ADD CONSTRAINT veri_review_state_check
    CHECK (state IN ('pending', 'approved', 'denied', 'withdrawn'));
