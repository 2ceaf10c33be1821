#!/usr/bin/env bash
# scripts/backup.sh [DIR] — a backup of the board: the database, then the bucket (docs/operations.md).
#
#   DATABASE_URL=postgres://... S3_ENDPOINT=http://... S3_ACCESS_KEY=... S3_SECRET_KEY=... \
#     [S3_BUCKET=images] [S3_REGION=us-east-1] scripts/backup.sh [DIR]
#
# DIR (default .data/backups/<UTC time>) receives db.dump (pg_dump, custom format, without the
# unlogged tables' rows), bucket/ (every object, copied with rclone) and manifest.json. The
# database is dumped FIRST and the bucket copied after: objects are keyed by their hash and never
# change, so every image a dumped post uses is in the later copy, unless it was deleted in
# between. The manifest lists such images (`missing`) and the script then fails: take another
# backup. Installs pg_dump and rclone with apt when missing. Runs while the board takes writes.
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -le 1 ]] || die "usage: $0 [DIR]"
[[ -n "${DATABASE_URL:-}" && -n "${S3_ENDPOINT:-}" ]] || die "set DATABASE_URL and S3_ENDPOINT (and S3_ACCESS_KEY, S3_SECRET_KEY)"
dir="${1:-$BACKUPS_DIR/$(date -u +%Y%m%dT%H%M%SZ)}"
bucket="${S3_BUCKET:-$DEFAULT_S3_BUCKET}"
[[ ! -e "$dir/manifest.json" ]] || die "$dir already holds a backup"
ensure_backup_tools
mkdir -p "$dir"
started="$(date -u +%Y-%m-%dT%H:%M:%SZ)"

log "pg_dump → $dir/db.dump"
pg_dump --format=custom --no-unlogged-table-data --file="$dir/db.dump" "$DATABASE_URL"

log "Copying bucket $bucket from $S3_ENDPOINT → $dir/bucket"
rclone_remote pbsrc "$S3_ENDPOINT" "${S3_ACCESS_KEY:-$DEFAULT_S3_ACCESS_KEY}" \
  "${S3_SECRET_KEY:-$DEFAULT_S3_SECRET_KEY}" "${S3_REGION:-$DEFAULT_S3_REGION}"
mkdir -p "$dir/bucket" # (rclone makes no folder for an empty bucket)
rclone_s3 copy --stats-one-line --stats=0 "pbsrc:$bucket" "$dir/bucket"

log "Checking that every image the dump uses was copied; writing $dir/manifest.json"
pg_restore --data-only --table=posts --table=blocked_images --file=- "$dir/db.dump" |
  python3 "$ROOT/scripts/backup-manifest.py" "$dir" "$bucket" "$started"
ok "backup in $dir"
