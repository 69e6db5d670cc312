-- The web dashboard's logins (issue 19). A session is known by the SHA-256 of its opaque
-- random id (the cookie holds the id, signed; the database never does). It keeps the
-- person's Discord OAuth2 tokens, to ask Discord which servers they are in, and the
-- per-session CSRF token every form sends back. Logging out, expiry and
-- `raidbot sessions revoke` end it; rows are kept until they are long past expiry.
CREATE TABLE web_session (
    session_hash BYTEA PRIMARY KEY CHECK (octet_length(session_hash) = 32),
    user_id BIGINT NOT NULL,
    user_name TEXT NOT NULL CHECK (char_length(user_name) <= 200),
    access_token TEXT NOT NULL,
    refresh_token TEXT,
    token_expires_at TIMESTAMPTZ,
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX web_session_user ON web_session (user_id) WHERE revoked_at IS NULL;

-- A login under way: the `state` sent to Discord (hashed) with the PKCE verifier, until
-- Discord sends the person back (single use, ten minutes).
CREATE TABLE web_login (
    state_hash BYTEA PRIMARY KEY CHECK (octet_length(state_hash) = 32),
    code_verifier TEXT NOT NULL,
    return_to TEXT NOT NULL DEFAULT '/',
    expires_at TIMESTAMPTZ NOT NULL
);
