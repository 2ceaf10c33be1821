# shellcheck shell=bash
# shellcheck disable=SC2034 # the values set here are read by the other parts and the scripts
# The scripts' shared defaults: folders, ports, keys, pinned tool versions. Sourced by
# scripts/lib.sh (source that, not this file). Every other script takes these from here.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export ROOT

# ---------------------------------------------------------------------------------------------
# The backend's own defaults (backend/src/config.rs, config::Settings). Named DEFAULT_<VARIABLE>;
# backend/tests/repo_files.rs checks each value against the server's default for VARIABLE.

DEFAULT_S3_BUCKET="images"
DEFAULT_S3_REGION="us-east-1"
DEFAULT_S3_ACCESS_KEY="minioadmin"
DEFAULT_S3_SECRET_KEY="minioadmin"
DEFAULT_BIND_ADDR="127.0.0.1:8000" # make run
DEFAULT_RUST_LOG="info"

# The app's role and database: those of the server's default DATABASE_URL (and of
# docker-compose.yml), postgres://app:secret@localhost:5432/appdb (backend/tests/repo_files/ checks it).
APP_DB_USER="app"
APP_DB_PASSWORD="secret"
APP_DB_NAME="appdb"
PG_DEFAULT_PORT=5432 # the PostgreSQL port looked at first, and a private cluster's when free

# ---------------------------------------------------------------------------------------------
# The scripts' own

DEFAULT_FLEET_PORTS="8001 8002" # make fleet; each replica's metrics on its port + 1000
# Keys of the S3 server that `make run` / `make fleet` start when S3_ENDPOINT does not answer (it
# listens on loopback only).
LOCAL_S3_ACCESS_KEY="postboard"
LOCAL_S3_SECRET_KEY="postboard-local-secret"

# Folders (all git-ignored but the frontend).
DATA_DIR="$ROOT/.data"                   # what survives a restart of make run
LOCAL_S3_DIR="$DATA_DIR/s3"              # the local S3 server's objects
FLEET_LOG_DIR="$DATA_DIR/fleet"          # make fleet: one log per replica
BACKUPS_DIR="$DATA_DIR/backups"          # scripts/backup.sh without DIR
PG_PRIVATE_HOME="$DATA_DIR/postgres"     # a private PostgreSQL cluster (ensure_postgres)
PG_PRIVATE_DATA="$PG_PRIVATE_HOME/data"
TOOLS_DIR="$ROOT/.tools"                 # tools installed once (cargo install --root, a venv)
PY_TOOLS_VENV="$TOOLS_DIR/venv"
FRONTEND_DIR="$ROOT/frontend"
SPA_DIR="$FRONTEND_DIR/dist/postboard/browser"

TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}" # cargo's; the scripts' builds share it
# The S3 server of make run, e2e, the backup drill and the bench: s3s-fs on a folder, as the
# test fixtures' example `s3-server`, which `cargo test` builds (ensure_s3_server).
S3_SERVER_BIN="${S3_SERVER_BIN:-$TARGET_DIR/debug/examples/s3-server}"

# Keep the Angular CLI from asking questions, and npm quiet about funding.
export NG_CLI_ANALYTICS=false
export NPM_CONFIG_FUND=false
export NPM_CONFIG_UPDATE_NOTIFIER=false
