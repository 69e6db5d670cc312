-- Scale-out (issue 18): Discord's HTTP rate limits shared by every process that uses the
-- bot's token. A small reference table (not per guild): one row for the global limit and
-- one per route bucket the processes have met.
--
-- 'global': next_at is the theoretical arrival time of the next request (GCRA): each
-- request is sent at greatest(now, next_at - burst) and moves next_at one interval on.
-- A route bucket (e.g. 'PUT guilds/1/members/{id}/roles/{id}', 'channel-messages/7'):
-- lim requests per window_ms, remaining of them until reset_at, learnt from Discord's
-- X-RateLimit-* headers (lim NULL: not learnt yet).
CREATE TABLE discord_rate_limit (
    bucket text NOT NULL,
    next_at timestamptz NOT NULL DEFAULT '-infinity',
    lim integer CHECK (lim >= 0),
    remaining integer,
    reset_at timestamptz NOT NULL DEFAULT '-infinity',
    window_ms integer NOT NULL DEFAULT 0 CHECK (window_ms >= 0),
    CONSTRAINT shards_discord_rate_limit_pkey PRIMARY KEY (bucket)
);
