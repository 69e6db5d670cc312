#!/bin/sh
# Rotating backups with `raidbot backup`, into BACKUP_DIR, keeping the newest BACKUP_KEEP.
#
#   raidbot-backup-loop          compose.yaml's `backup` service: a backup at start, then
#                                every day at BACKUP_AT (UTC, HH:MM). A failed backup (the
#                                database down, or not migrated by raidbot yet on a first
#                                start) is logged and retried every BACKUP_RETRY_SECONDS.
#   raidbot-backup-loop --once   one backup and exit, non-zero if it failed
#                                (deploy/raidbot-backup.service, cron).
#
# Older backups are only removed after a new one succeeded.
set -u

dir=${BACKUP_DIR:-/backups}
keep=${BACKUP_KEEP:-14}
at=${BACKUP_AT:-03:30}
retry=${BACKUP_RETRY_SECONDS:-300}
once=
case ${1:-} in
  '') ;;
  --once) once=1 ;;
  *) echo "usage: raidbot-backup-loop [--once]" >&2; exit 2 ;;
esac

whole() {
  case $2 in
    '' | *[!0-9]* | 0) echo "error: $1 must be a whole number of at least 1 (got '$2')" >&2; exit 2 ;;
  esac
}
whole BACKUP_KEEP "$keep"
whole BACKUP_RETRY_SECONDS "$retry"
if ! date -u -d "today $at" +%s >/dev/null 2>&1; then
  echo "error: BACKUP_AT must be a time of day such as 03:30 (got '$at')" >&2
  exit 2
fi
if [ ! -d "$dir" ] || [ ! -w "$dir" ]; then
  echo "error: $dir is not a writable folder for user $(id -u) (chown it to $(id -u):$(id -g))" >&2
  exit 2
fi

backup_once() {
  file="$dir/raidbot-$(date -u +%Y%m%dT%H%M%SZ).dump"
  raidbot backup --to "$file" || return 1
  # Names sort by time; remove all but the newest $keep.
  ls -1 "$dir"/raidbot-*.dump 2>/dev/null | sort | head -n "-$keep" | while read -r old; do
    rm -f -- "$old" && echo "removed old backup $old"
  done
  return 0
}

if [ -n "$once" ]; then
  backup_once
  exit
fi

# Exit promptly on `docker compose stop` (the shell is PID 1 and would ignore SIGTERM).
trap 'exit 0' TERM INT

while :; do
  if backup_once; then
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
