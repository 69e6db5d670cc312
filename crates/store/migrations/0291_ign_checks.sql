-- member.ign (a member's main name) and veri_review.ign (the name a screenshot is for) are
-- in-game names, like member_ign.ign and veri_session.ign, which were checked from the
-- start: 1 to 10 ASCII letters, as domain::Ign. Every writer passes a checked Ign (the
-- importer refuses a bad name per row), so the data should already comply; the checks
-- are added NOT VALID (new and updated rows are checked at once) and validated only
-- where no old row breaks them, so a database holding an odd name still migrates: it is
-- named in a warning, and VALIDATE CONSTRAINT can be run once it is fixed.
ALTER TABLE member
    ADD CONSTRAINT member_ign_is_an_ign CHECK (ign ~ '^[A-Za-z]{1,10}$') NOT VALID;
ALTER TABLE veri_review
    ADD CONSTRAINT veri_review_ign_is_an_ign CHECK (ign ~ '^[A-Za-z]{1,10}$') NOT VALID;

DO $$
DECLARE
    bad BIGINT;
BEGIN
    SELECT count(*) INTO bad FROM member WHERE ign !~ '^[A-Za-z]{1,10}$';
    IF bad = 0 THEN
        ALTER TABLE member VALIDATE CONSTRAINT member_ign_is_an_ign;
    ELSE
        RAISE WARNING 'member_ign_is_an_ign left NOT VALID: % member rows have an ign that is not 1 to 10 letters', bad;
    END IF;
    SELECT count(*) INTO bad FROM veri_review WHERE ign !~ '^[A-Za-z]{1,10}$';
    IF bad = 0 THEN
        ALTER TABLE veri_review VALIDATE CONSTRAINT veri_review_ign_is_an_ign;
    ELSE
        RAISE WARNING 'veri_review_ign_is_an_ign left NOT VALID: % veri_review rows have an ign that is not 1 to 10 letters', bad;
    END IF;
END $$;
