#!/usr/bin/env bash
# The chart's checks (part of `make lint`): helm lint of the defaults and of every optional
# feature on, helm template of the shapes we support, values the schema must refuse, the
# generated README in sync with values.yaml, and the Argo CD health check of docs/.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(e2e/scripts/control-plane-install.sh helm)"
chart=charts/vestibule
all=$chart/ci/all-features-values.yaml

"$HELM" lint "$chart"
"$HELM" lint "$chart" -f "$all"
"$HELM" template vestibule "$chart" --namespace vestibule-system > /dev/null
"$HELM" template vestibule "$chart" --set 'watchNamespaces={team-a,team-b}' > /dev/null
"$HELM" template vestibule "$chart" -f "$all" > /dev/null
"$HELM" template vestibule "$chart" -f "$all" --kube-version 1.20.2 > /dev/null

# Each of these must be refused by values.schema.json.
refused() {
  local output
  if output=$("$HELM" template vestibule "$chart" "$@" 2>&1); then
    echo "helm template $* succeeded; values.schema.json should have refused it" >&2
    exit 1
  fi
  grep -q "values don't meet the specifications of the schema" <<<"$output" || {
    echo "helm template $* failed, but not on the schema:" >&2
    echo "$output" >&2
    exit 1
  }
}
refused --set replicaCount=abc
refused --set metricsPort=http
refused --set logLevel=verbose
refused --set replicaCont=2
refused --set serviceMonitor.enabled=yes
if "$HELM" lint "$chart" --set replicaCount=abc > /dev/null 2>&1; then
  echo "helm lint --set replicaCount=abc passed; values.schema.json should have refused it" >&2
  exit 1
fi

python3 scripts/chart-readme.py --check

# The Argo CD health check: its cases under Lua 5.1 (Argo CD's dialect), and docs/argocd.md
# carrying the same script.
if ! command -v lua5.1 > /dev/null; then
  as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
  as_root apt-get update -q >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends lua5.1 >&2
fi
lua5.1 docs/argocd/health_test.lua
python3 - <<'PY'
import sys
script = open("docs/argocd/health.lua").read()
embedded = "".join(("    " + line) if line.strip() else line for line in script.splitlines(True))
if embedded not in open("docs/argocd.md").read():
    sys.exit("docs/argocd.md does not carry docs/argocd/health.lua as it is: copy it in (indented by 4)")
PY
echo "chart: lint, template, schema refusals, README and Argo CD health check all pass"
