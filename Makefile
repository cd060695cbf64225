# Vestibule's command index. Every target does what its comment says.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
CARGO ?= cargo
INSTALL := e2e/scripts/control-plane-install.sh

.PHONY: help demo generate lint chart-lint chart-readme test e2e bench breached-filter

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/'

generate: ## Regenerate the CRD manifests in charts/vestibule/files/crds from the Rust types
	$(CARGO) run --quiet -p vestibule-crds --bin crdgen -- charts/vestibule/files/crds

lint: ## rustfmt, clippy, CRDs in sync with the types, and the chart checks (chart-lint)
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	$(MAKE) --no-print-directory generate
	git diff --exit-code -- charts/vestibule/files/crds || { echo "CRDs are out of date: run 'make generate' and commit"; exit 1; }
	$(MAKE) --no-print-directory chart-lint

chart-lint: ## helm lint and template (defaults, every feature on), values the schema must refuse, README in sync
	scripts/chart-lint.sh

chart-readme: ## Regenerate charts/vestibule/README.md from the comments in values.yaml
	python3 scripts/chart-readme.py

demo: ## A local Kubernetes, the chart, the operator, the examples, and a demo app to sign in to (Ctrl-C stops)
	scripts/setup.sh
	$(CARGO) build --locked --workspace --bins
	set -a; . .vestibule/test.env; set +a; target/debug/vestibule-demo

test: ## Every test: unit, IdP on SQLite and PostgreSQL, operator on a real API server, end to end
	scripts/setup.sh
	$(CARGO) build --locked --workspace --bins
	set -a; . .vestibule/test.env; set +a; $(CARGO) test --workspace --locked

e2e: ## Only the end-to-end tests (part of make test)
	scripts/setup.sh
	$(CARGO) build --locked --workspace --bins
	set -a; . .vestibule/test.env; set +a; $(CARGO) test --locked -p vestibule-e2e

bench: ## Benchmarks against oidc-provider and the argon2id limit; writes bench/report.md and BENCHMARKS.md (not part of test)
	bench/run.sh

breached-filter: ## Build a breached-password corpus: make breached-filter HASHES=pwned-hashes.txt CORPUS=corpus.bin
	$(CARGO) run --quiet --release -p vestibule-idp -- breached-filter --input "$(HASHES)" --output "$(CORPUS)"
