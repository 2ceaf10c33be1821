# syntax=docker/dockerfile:1
# Postboard: one image serving the API and the Angular app on port 8000.
#   docker compose up --build            (with PostgreSQL and MinIO, see docker-compose.yml)
#   docker build -t postboard .          (the image alone; configure it with the variables of
#                                          docs/configuration.md)

# ---- 1. The SPA (Angular) -------------------------------------------------------------------
FROM node:20-bookworm-slim AS spa
WORKDIR /src/frontend
ENV NG_CLI_ANALYTICS=false CI=true
# Manifests first: the npm ci layer is reused until the lock file changes.
COPY frontend/package.json frontend/package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build && test -f dist/postboard/browser/index.html

# ---- 2. The backend (Rust, release) ---------------------------------------------------------
# bookworm, like the runtime stage below: the binary must find the same glibc there.
FROM rust:1.95-bookworm AS backend
WORKDIR /src
# Builds without a database: compile-time-checked queries, if any, use the committed .sqlx/.
ENV SQLX_OFFLINE=true CARGO_TERM_COLOR=never
# Only what the binary is built from: a change to the frontend (or the docs) leaves this stage's
# layers, and the build below, as they were.
COPY Cargo.toml Cargo.lock ./
COPY .cargo/ .cargo/
COPY .sqlx/ .sqlx/
COPY migrations/ migrations/
COPY backend/ backend/
# The registry and target/ live in BuildKit cache mounts, so a rebuild after a source change
# recompiles only the crates that changed (a cold build takes several minutes). The binary is
# copied out of the cache mount into the image layer.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p postboard \
    && install -D -m 0755 target/release/postboard /out/postboard \
    && /out/postboard --version

# ---- 3. Runtime -----------------------------------------------------------------------------
FROM debian:bookworm-slim
# ca-certificates unpinned on purpose: bookworm's point releases replace it, and a pinned version
# would stop building when they do (the base image's tag already fixes the release).
# The user and its group get the same fixed id as USER below.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 postboard \
    && useradd --system --uid 10001 --gid 10001 --home-dir /app --no-create-home postboard
COPY --from=backend /out/postboard /usr/local/bin/postboard
COPY --from=spa /src/frontend/dist/postboard/browser /app/static
WORKDIR /app
ENV STATIC_DIR=/app/static \
    BIND_ADDR=0.0.0.0:8000 \
    RUST_LOG=info
# Numeric, so that Kubernetes' runAsNonRoot can verify it (deploy/k8s runs it as 10001 too).
USER 10001:10001
# 8000: the board. 9100: GET /metrics when METRICS_ADDR=0.0.0.0:9100 (compose and deploy/k8s set
# it; it stays unpublished).
EXPOSE 8000 9100
# The image has no curl: bash speaks just enough HTTP to ask GET /ready (200 once PostgreSQL
# and S3 answer) on the port of BIND_ADDR.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=6 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${BIND_ADDR##*:} && printf 'GET /ready HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200'"]
CMD ["postboard"]
