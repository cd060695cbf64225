#!/usr/bin/env bash
# `make bench`: prepares the machine and builds the release binaries side by side, then runs the
# benchmarks, timing each phase so the report can state what a fresh machine costs. Writes
# bench/report.md and BENCHMARKS.md (see e2e/src/bench). Settings: the BENCH_* variables of
# e2e/src/bin/vestibule-bench.rs.
set -euo pipefail
cd "$(dirname "$0")/.."

now() { date +%s%N; }
seconds_since() { local ms=$((($(now) - $1) / 1000000)); printf '%d.%03d' $((ms / 1000)) $((ms % 1000)); }

export BENCH_MAKE_STARTED=$(date +%s)
apiserver=${VESTIBULE_CACHE:-$HOME/.cache/vestibule}/k8s-v1.20.2/bin/kube-apiserver
if [[ -x $apiserver ]]; then export BENCH_CONTROL_PLANE_BUILT=0; else export BENCH_CONTROL_PLANE_BUILT=1; fi

# Only the three binaries the run uses (not the demo). The build needs nothing the setup
# installs, and the setup spends much of its time on downloads: together they keep both cores busy.
mkdir -p target
build_log=target/bench-build.log
build() {
  local started
  started=$(now)
  ${CARGO:-cargo} build --release --locked -p vestibule-idp -p vestibule-operator -p vestibule-e2e \
    --bin vestibule-idp --bin vestibule-operator --bin vestibule-bench
  seconds_since "$started" >target/bench-build.seconds
}
echo "[bench] building the release binaries alongside the setup (log: $build_log)" >&2
build >"$build_log" 2>&1 &
build_pid=$!
trap 'pkill -P "$build_pid" 2>/dev/null; kill "$build_pid" 2>/dev/null || true' EXIT

started=$(now)
scripts/setup.sh --bench
export BENCH_SETUP_SECONDS=$(seconds_since "$started")

if ! wait "$build_pid"; then
  tail -n 40 "$build_log" >&2
  echo "[bench] the release build failed (full log: $build_log)" >&2
  exit 1
fi
trap - EXIT
tail -n 1 "$build_log" >&2
export BENCH_BUILD_SECONDS=$(cat target/bench-build.seconds)

set -a; . .vestibule/test.env; set +a
exec target/release/vestibule-bench "$@"
