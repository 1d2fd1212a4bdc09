# Developer tasks. Everything installs itself on first use (see scripts/install.sh).

.PHONY: help run test widget bench bench-quick bench-dashboard bench-dashboard-quick lint format lock clean
.DEFAULT_GOAL := help

VENV := .venv/bin

help:
	@echo "make run     install what is missing and serve the demo on http://127.0.0.1:$${PORT:-8000}/"
	@echo "make test    install, lint (ruff, mypy) and run the tests (pytest)"
	@echo "make widget  build the embeddable widget (widget/src -> feedback/static/widget.js) and show its size"
	@echo "make bench        the benchmark suite against a bare Starlette endpoint (under 10 minutes)"
	@echo "make bench-quick  the same, a few seconds a scenario"
	@echo "make bench-dashboard  each dashboard page's p50/p95 on a seeded archive of 1,000,000 vote events"
	@echo "make bench-dashboard-quick  the same on 100,000 events, 5 rounds"
	@echo "make lint    ruff check, ruff format --check, mypy, lint-imports (the layering) and hadolint (the Dockerfile)"
	@echo "make format  ruff format and ruff check --fix"
	@echo "make lock    regenerate requirements.lock from a fresh temporary venv"
	@echo "make clean   remove .venv, .run and caches"

run:
	scripts/run.sh

test:
	scripts/test.sh

widget:
	scripts/widget.sh

bench:
	scripts/install.sh
	scripts/install.sh --system redis-server wrk
	$(VENV)/python -m bench.run $(BENCH_ARGS)

bench-quick:
	scripts/install.sh
	scripts/install.sh --system redis-server wrk
	$(VENV)/python -m bench.run --rounds 5 --duration 2 --warmup 1 --flush-events 100000 --flush-articles 10000 \
		--output .run/bench-quick $(BENCH_ARGS)

bench-dashboard:
	scripts/install.sh
	scripts/install.sh --system redis-server
	$(VENV)/python -m bench.dashboard $(BENCH_ARGS)

bench-dashboard-quick:
	scripts/install.sh
	scripts/install.sh --system redis-server
	$(VENV)/python -m bench.dashboard --events 100000 --articles 5000 --rounds 5 --warmup 1 \
		--output .run/bench-quick $(BENCH_ARGS)

lint:
	scripts/install.sh
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .
	$(VENV)/mypy
	$(VENV)/lint-imports --no-cache
	$(VENV)/hadolint Dockerfile

format:
	scripts/install.sh
	$(VENV)/ruff format .
	$(VENV)/ruff check --fix .

# Installs '.[test]' into a fresh venv without the lock, and pins what pip chose.
lock:
	@set -eu; tmp="$$(mktemp -d)"; trap 'rm -rf "$$tmp"' EXIT; \
	python3 -m venv "$$tmp/venv"; \
	"$$tmp/venv/bin/pip" install --quiet '.[test]'; \
	{ \
	  echo "# Pinned versions of every runtime and test dependency of \`feedback\`, transitively."; \
	  echo "# Used as a pip constraints file: pip install -c requirements.lock -e '.[test]'"; \
	  echo "# Do not edit by hand: regenerate with \`make lock\` (installs '.[test]' into a fresh"; \
	  echo "# temporary venv and records \`pip freeze --exclude-editable\`, without \`feedback\` itself)."; \
	  "$$tmp/venv/bin/pip" freeze --exclude-editable | grep -viE '^feedback([[:space:]]|=|@|$$)'; \
	} > requirements.lock.new; \
	mv requirements.lock.new requirements.lock; \
	echo "requirements.lock: $$(grep -vc '^#' requirements.lock) pins"

clean:
	rm -rf .venv .run build *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis widget/node_modules
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
