#!/usr/bin/env bash
# The chart's checks (part of `make lint`): helm lint of the defaults and of every optional
# feature on, helm template of the shapes we support, values the schema must refuse, and the
# generated README in sync with values.yaml.
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
echo "chart: lint, template, schema refusals and README all pass"
