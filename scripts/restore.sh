#!/usr/bin/env bash
# scripts/restore.sh DIR — restores a backup of scripts/backup.sh into a FRESH database and a
# FRESH bucket (docs/operations.md).
#
#   DATABASE_URL=postgres://.../empty_db S3_ENDPOINT=http://... S3_ACCESS_KEY=... \
#     S3_SECRET_KEY=... [S3_BUCKET=images] [S3_REGION=us-east-1] scripts/restore.sh DIR
#
# Refuses a database that already has a `posts` table or a bucket that already has objects.
# pg_restore without owners or grants: the restored tables belong to DATABASE_URL's user (the
# app's role). The bucket is created when missing, then filled with rclone and checked against
# the backup (`rclone check`). Start the app on them afterwards: it finds its migrations applied.
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -eq 1 ]] || die "usage: $0 BACKUP_DIR"
dir="$1"
bucket="${S3_BUCKET:-$DEFAULT_S3_BUCKET}"
[[ -n "${DATABASE_URL:-}" && -n "${S3_ENDPOINT:-}" ]] || die "set DATABASE_URL and S3_ENDPOINT (and S3_ACCESS_KEY, S3_SECRET_KEY)"
[[ -f "$dir/manifest.json" && -f "$dir/db.dump" ]] || die "$dir holds no backup (manifest.json, db.dump)"
python3 -c 'import json, sys; sys.exit(0 if json.load(open(sys.argv[1]))["complete"] else 1)' \
  "$dir/manifest.json" || die "$dir is an incomplete backup (see its manifest.json: missing)"
ensure_backup_tools
rclone_remote pbdst "$S3_ENDPOINT" "${S3_ACCESS_KEY:-$DEFAULT_S3_ACCESS_KEY}" \
  "${S3_SECRET_KEY:-$DEFAULT_S3_SECRET_KEY}" "${S3_REGION:-$DEFAULT_S3_REGION}"

[[ "$(psql "$DATABASE_URL" -w -qtAX -c "SELECT to_regclass('posts') IS NOT NULL")" == f ]] ||
  die "the database of DATABASE_URL already has a posts table: restore into a fresh one"
rclone_s3 mkdir "pbdst:$bucket"
[[ -z "$(rclone_s3 lsf --max-depth 1 "pbdst:$bucket")" ]] || die "bucket $bucket is not empty: restore into a fresh one"

log "pg_restore $dir/db.dump"
restore() { pg_restore --exit-on-error --no-owner --no-privileges --dbname="$DATABASE_URL" "$@" "$dir/db.dump"; }
restore --section=pre-data
# A dump from before migration 20261226190000 lacks this setting, and its posts would not load
# (pg_restore's empty search_path hides search_unaccent from the generated column). Idempotent.
psql "$DATABASE_URL" -w -qX -v ON_ERROR_STOP=1 \
  -c 'ALTER FUNCTION post_search_document(TEXT, TEXT, TEXT) SET search_path FROM CURRENT'
restore --section=data --section=post-data
log "Copying $dir/bucket → bucket $bucket on $S3_ENDPOINT"
rclone_s3 copy --stats-one-line --stats=0 "$dir/bucket" "pbdst:$bucket"
rclone_s3 check --one-way "$dir/bucket" "pbdst:$bucket"
ok "restored $(python3 -c 'import json, sys; m = json.load(open(sys.argv[1])); print(m["database"]["posts"], "posts and", m["bucket"]["objects"], "objects")' "$dir/manifest.json")"
