#!/usr/bin/env bash
# `make widget`: build the embeddable widget, widget/src -> feedback/static/widget.js (esbuild,
# minified), and print its size gzipped. Installs Debian's nodejs and npm when missing, and the
# npm packages pinned by widget/package-lock.json (npm ci) when they are missing or stale.
#
#   scripts/widget.sh               build
#   scripts/widget.sh --if-needed   build only when a source is newer than the bundle
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install.sh --system nodejs:node npm
if [ ! -f widget/node_modules/.package-lock.json ] || [ widget/package-lock.json -nt widget/node_modules/.package-lock.json ]; then
    echo "widget.sh: installing the widget's npm packages (npm ci)" >&2
    (cd widget && npm ci --no-audit --no-fund --loglevel=error)
fi

bundle=feedback/static/widget.js  # the charts are built with it
if [ "${1:-}" = "--if-needed" ] && [ -f "$bundle" ] \
    && [ -z "$(find widget/src widget/dashboard widget/build.mjs widget/package-lock.json -newer "$bundle" -print -quit)" ]; then
    exit 0
fi
node widget/build.mjs
