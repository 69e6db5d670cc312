-- Scale-out (issue 18): each shard's state where every process can read it (/ping, the
-- API's /metrics): whether it is connected, its latest heartbeat round trip, and how many
-- times it identified and resumed.
ALTER TABLE gateway_session
    ADD COLUMN connected boolean NOT NULL DEFAULT false,
    ADD COLUMN latency_ms integer CHECK (latency_ms >= 0),
    ADD COLUMN identifies bigint NOT NULL DEFAULT 0 CHECK (identifies >= 0),
    ADD COLUMN resumes bigint NOT NULL DEFAULT 0 CHECK (resumes >= 0),
    -- The latest sign of life (READY, RESUMED, a heartbeat ACK): a shard of a killed
    -- process stays `connected` but stops being seen.
    ADD COLUMN seen_at timestamptz NOT NULL DEFAULT now();
