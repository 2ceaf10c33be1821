# Postboard — the commands. The logic lives in scripts/ (bash); `make help` lists the targets.

SHELL := /bin/bash
.DEFAULT_GOAL := help

FRONTEND := frontend

.PHONY: help run fleet dev-backend test test-backend test-frontend e2e backup-drill failover-drill check-deploy lint fmt fmt-check build bench ci

help: ## List the targets
	@echo "Postboard — make targets:"
	@grep -E '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "}; {printf "  \033[1m%-14s\033[0m %s\n", $$1, $$2}'
	@echo
	@echo "Start with 'make run' (the app at http://localhost:8000) and 'make test' (every gate)."

run: ## Build everything and serve the app at http://localhost:8000 (PostgreSQL + S3 started as needed)
	@scripts/run.sh

fleet: ## Two replicas on :8001 and :8002, one PostgreSQL and one S3: a vote on one shows on the other
	@scripts/fleet.sh

dev-backend: ## Debug backend on :8000 for the dev loop (then: cd frontend && npm start → :4200)
	@scripts/run.sh --dev

test: ## Every gate: fmt, check-deploy, the test build linted by clippy, sqlx check, cargo test, npm ci, lint, prettier, unit tests, e2e; summary at the end
	@scripts/test.sh

test-backend: ## cargo test only (starts PostgreSQL when it is not answering)
	@scripts/test-backend.sh

test-frontend: ## Frontend unit tests only (npm test)
	@source scripts/lib.sh && npm_ci_if_needed
	cd $(FRONTEND) && CI=true npm test </dev/null

e2e: ## End-to-end tests in Chromium against a real backend, PostgreSQL and S3
	@scripts/e2e.sh

backup-drill: ## Back up a board while it takes writes, restore into a fresh database + bucket, compare (docs/operations.md)
	@scripts/backup-drill.sh

failover-drill: ## Kill the primary under load, promote its synchronous standby, repoint PgBouncer; print the figures (also in cargo test)
	@scripts/failover-drill.sh

check-deploy: ## Validate deploy/k8s/, docker-compose.yml and the Dockerfile (kubernetes-validate, docker-compose, hadolint)
	@scripts/check-deploy.sh

lint: ## cargo clippy -D warnings and ng lint
	cargo clippy --all-targets -- -D warnings
	@source scripts/lib.sh && npm_ci_if_needed
	cd $(FRONTEND) && npm run lint

fmt: ## Format the code (cargo fmt, prettier --write)
	cargo fmt --all
	@source scripts/lib.sh && npm_ci_if_needed
	cd $(FRONTEND) && npm run format

fmt-check: ## Check the formatting only (cargo fmt --check, prettier --check)
	cargo fmt --all -- --check
	@source scripts/lib.sh && npm_ci_if_needed
	cd $(FRONTEND) && npm run format:check

build: ## Build the SPA and the release backend without running them
	@source scripts/lib.sh && build_spa
	cargo build --release -p postboard

bench: ## Run the benchmarks (bench/run.py; settings in bench/README.md)
	@python3 bench/run.py

ci: ## What CI runs: .ci/run (= make test)
	@.ci/run
