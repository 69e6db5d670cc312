#!/bin/sh
# The compose `backup` service (profile "backup"): `raidbot backup` once at start, then
# every day at BACKUP_AT (UTC, HH:MM), into BACKUP_DIR, keeping the newest BACKUP_KEEP
# backups. A failed backup (the database down, or not yet migrated by raidbot on a first
# start) is logged and retried every BACKUP_RETRY_SECONDS until one succeeds; older backups
# are only removed after a new one succeeded.
set -u

dir=${BACKUP_DIR:-/backups}
keep=${BACKUP_KEEP:-14}
at=${BACKUP_AT:-03:30}
retry=${BACKUP_RETRY_SECONDS:-300}

case $keep in
  '' | *[!0-9]* | 0) echo "error: BACKUP_KEEP must be a whole number of at least 1 (got '$keep')" >&2; exit 2 ;;
esac
case $retry in
  '' | *[!0-9]* | 0) echo "error: BACKUP_RETRY_SECONDS must be a whole number of at least 1 (got '$retry')" >&2; exit 2 ;;
esac
if ! date -u -d "today $at" +%s >/dev/null 2>&1; then
  echo "error: BACKUP_AT must be a time of day such as 03:30 (got '$at')" >&2
  exit 2
fi
if [ ! -d "$dir" ] || [ ! -w "$dir" ]; then
  echo "error: $dir is not a writable folder for user $(id -u) (chown it to $(id -u):$(id -g))" >&2
  exit 2
fi

# Exit promptly on `docker compose stop` (the shell is PID 1 and would ignore SIGTERM).
trap 'exit 0' TERM INT

while :; do
  file="$dir/raidbot-$(date -u +%Y%m%dT%H%M%SZ).dump"
  if raidbot backup --to "$file"; then
    # Names sort by time; remove all but the newest $keep.
    ls -1 "$dir"/raidbot-*.dump 2>/dev/null | sort | head -n "-$keep" | while read -r old; do
      rm -f -- "$old" && echo "removed old backup $old"
    done
    now=$(date -u +%s)
    next=$(date -u -d "today $at" +%s)
    [ "$next" -gt "$now" ] || next=$(date -u -d "tomorrow $at" +%s)
    wait_for=$((next - now))
  else
    echo "backup failed; the existing backups are kept; trying again in $retry s" >&2
    wait_for=$retry
  fi
  sleep "$wait_for" &
  wait $!
done
