#!/usr/bin/env bash
# `make test`: install what is missing, lint, type-check, check the layering, lint the Dockerfile, then run
# pytest (arguments go to pytest).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install.sh
# The tests start private redis-servers, and Sentinels (redis-server --sentinel: the same package);
# wrk drives the benchmark's smoke test.
scripts/install.sh --system redis-server wrk
scripts/install.sh --system chromium         # the widget's tests drive Debian's Chromium through Playwright
scripts/widget.sh --if-needed                # and the widget's build is checked against the shipped bundle

set -x
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/lint-imports --no-cache
.venv/bin/hadolint Dockerfile
.venv/bin/pytest "$@"
