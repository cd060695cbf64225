#!/usr/bin/env bash
# Prepares this machine for `make test` and `make demo`, idempotently: the Debian packages the tests use
# (Node.js, PostgreSQL, Chromium), the npm packages (openid-client, oidc-provider, smtp-server, playwright-core),
# a running PostgreSQL the tests can reach, and the local Kubernetes control plane binaries.
# Writes the environment the tests need to .vestibule/test.env.
# With --bench, what `make bench` needs instead of Chromium: wrk and the peer's npm packages (bench/peer).
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH=0
[[ ${1:-} == --bench ]] && BENCH=1

log() { printf '[setup] %s\n' "$*" >&2; }
as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

UPDATED=0
apt_install() {
  local missing=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  ((${#missing[@]})) || return 0
  if ((UPDATED == 0)); then
    as_root apt-get update -q >&2
    UPDATED=1
  fi
  log "installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
}

command -v node >/dev/null && command -v npm >/dev/null || apt_install nodejs npm
command -v pg_ctlcluster >/dev/null || apt_install postgresql
# The benchmarks sign in without a browser: `make bench` does not need Chromium.
((BENCH)) || command -v chromium >/dev/null || apt_install chromium fonts-liberation
command -v openssl >/dev/null || apt_install openssl
# webauthn-rs (passkeys) links OpenSSL: its headers, found through pkg-config.
apt_install libssl-dev pkg-config

# PostgreSQL: start the local cluster when it is not accepting connections.
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  log "starting PostgreSQL"
  as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start
  for _ in $(seq 1 60); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.5; done
fi
# Use the machine's URL when it works (trust authentication); otherwise give the postgres
# role a password, as a fresh Debian cluster requires one over TCP.
url=${VESTIBULE_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
if ! psql "$url" -qAtc 'SELECT 1' >/dev/null 2>&1; then
  url=postgres://postgres:vestibule-test@127.0.0.1:5432/postgres
  if ! psql "$url" -qAtc 'SELECT 1' >/dev/null 2>&1; then
    log "setting a password for the postgres role"
    as_root su postgres -c "psql -qc \"ALTER ROLE postgres PASSWORD 'vestibule-test'\"" >&2
  fi
fi

# npm packages, reinstalled only when the lock file changed.
npm_ci() {
  local stamp=$1/node_modules/.vestibule-lock
  if [[ ! -f $stamp ]] || ! cmp -s "$1/package-lock.json" "$stamp"; then
    log "npm ci ($1)"
    (cd "$1" && npm ci --no-audit --no-fund >&2)
    cp "$1/package-lock.json" "$stamp"
  fi
}
npm_ci e2e/node
if ((BENCH)); then
  command -v wrk >/dev/null || apt_install wrk
  npm_ci bench/peer
fi

# The local Kubernetes control plane (built once per machine into ~/.cache/vestibule), unless
# KUBECONFIG names a cluster that answers: then only helm and kubectl are needed.
if [[ -n ${KUBECONFIG:-} ]] && kubectl version --request-timeout=5s >/dev/null 2>&1; then
  log "using the cluster of KUBECONFIG"
  e2e/scripts/control-plane-install.sh helm >/dev/null
else
  e2e/scripts/control-plane-install.sh >/dev/null
fi

mkdir -p .vestibule
cat > .vestibule/test.env <<ENV
VESTIBULE_TEST_POSTGRES_URL=$url
CHROMIUM=$(command -v chromium || true)
ENV
log "ready"
