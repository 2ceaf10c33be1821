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
COPY . .
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
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /app --no-create-home postboard
COPY --from=backend /out/postboard /usr/local/bin/postboard
COPY --from=spa /src/frontend/dist/postboard/browser /app/static
WORKDIR /app
ENV STATIC_DIR=/app/static \
    BIND_ADDR=0.0.0.0:8000 \
    RUST_LOG=info
USER postboard
EXPOSE 8000
CMD ["postboard"]
