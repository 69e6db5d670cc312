# raidbot's container image: `docker compose up -d` (compose.yaml) builds and runs it.
#
#   docker build -t raidbot .
#
# Stages: `build` compiles raidbot in release from the locked dependencies; `runtime` (the
# default, last stage) is Debian slim with CA certificates, libpq and PostgreSQL 15's
# pg_dump/pg_restore (for `raidbot backup`/`restore`), the binary, and a non-root user; no
# compiler, no sources.
#
# Base images are build arguments so a mirror or a locally made base can stand in (CI,
# which reaches no registry, uses both: deploy/ci/smoke):
#   --build-arg RUST_IMAGE=...  --build-arg DEBIAN_IMAGE=...

# The build stage must be the same Debian release as the runtime (bookworm: glibc 2.36).
ARG RUST_IMAGE=rust:1.95-slim-bookworm
ARG DEBIAN_IMAGE=debian:bookworm-slim

# PostgreSQL's client programs without their Perl wrapper scripts: the runtime copies
# just pg_dump and pg_restore from here.
FROM ${DEBIAN_IMAGE} AS pgtools
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client-15 \
 && rm -rf /var/lib/apt/lists/*

FROM ${DEBIAN_IMAGE} AS runtime-base
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libpq5 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 raidbot \
 && useradd --system --uid 10001 --gid raidbot --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin raidbot \
 && mkdir -p /backups /var/lib/raidbot && chown raidbot:raidbot /backups /var/lib/raidbot
COPY --from=pgtools /usr/lib/postgresql/15/bin/pg_dump /usr/lib/postgresql/15/bin/pg_restore \
     /usr/lib/postgresql/15/bin/
COPY deploy/backup-loop.sh /usr/local/bin/raidbot-backup-loop
RUN /usr/lib/postgresql/15/bin/pg_dump --version && chmod 0755 /usr/local/bin/raidbot-backup-loop
# In a container the API must listen beyond loopback; JSON logs suit `docker logs` and
# log shippers. Both can be overridden in compose.yaml or with -e.
ENV API_BIND=0.0.0.0:4000 \
    LOG_FORMAT=json
WORKDIR /var/lib/raidbot
USER raidbot:raidbot
EXPOSE 4000
# raidbot finishes in-flight interactions and jobs on SIGTERM; give it the time (compose:
# stop_grace_period, docker stop -t).
STOPSIGNAL SIGTERM
# `raidbot healthcheck` asks GET /v1/health on API_BIND: healthy when the API answers and
# the database is reachable.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
  CMD ["raidbot", "healthcheck"]
ENTRYPOINT ["raidbot"]
CMD ["up"]

FROM ${RUST_IMAGE} AS build
WORKDIR /src
ENV CARGO_PROFILE_RELEASE_STRIP=symbols
COPY Cargo.toml Cargo.lock ./
COPY crates crates
RUN cargo build --release --locked -p raidbot \
 && install -D -m 0755 target/release/raidbot /out/raidbot

FROM runtime-base AS runtime
COPY --from=build /out/raidbot /usr/local/bin/raidbot
RUN ["raidbot", "--version"]
