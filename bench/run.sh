#!/usr/bin/env bash
# `make bench`: prepares the machine, builds the release binaries and runs the benchmarks, timing
# each phase so the report can state what a fresh machine costs. Writes bench/report.md and
# BENCHMARKS.md (see e2e/src/bench). Settings: the BENCH_* variables of
# e2e/src/bin/vestibule-bench.rs.
set -euo pipefail
cd "$(dirname "$0")/.."

now() { date +%s%N; }
seconds_since() { local ms=$((($(now) - $1) / 1000000)); printf '%d.%03d' $((ms / 1000)) $((ms % 1000)); }

export BENCH_MAKE_STARTED=$(date +%s)
apiserver=${VESTIBULE_CACHE:-$HOME/.cache/vestibule}/k8s-v1.20.2/bin/kube-apiserver
if [[ -x $apiserver ]]; then export BENCH_CONTROL_PLANE_BUILT=0; else export BENCH_CONTROL_PLANE_BUILT=1; fi

started=$(now)
scripts/setup.sh --bench
export BENCH_SETUP_SECONDS=$(seconds_since "$started")

started=$(now)
# Only the three binaries the run uses (not the demo): the build is most of a fresh machine's time.
${CARGO:-cargo} build --release --locked -p vestibule-idp -p vestibule-operator -p vestibule-e2e \
  --bin vestibule-idp --bin vestibule-operator --bin vestibule-bench
export BENCH_BUILD_SECONDS=$(seconds_since "$started")

set -a; . .vestibule/test.env; set +a
exec target/release/vestibule-bench "$@"
