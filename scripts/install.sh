#!/usr/bin/env bash
# Install what the project needs. Idempotent, and quick when everything is already there.
#
#   scripts/install.sh                    the Python venv in .venv: pip install -c requirements.lock -e '.[test]'
#                                         (only when .venv/.installed is missing or older than
#                                         pyproject.toml or requirements.lock)
#   scripts/install.sh --system PKG...    only Debian packages: apt-get install each PKG whose command
#                                         (named like the package, or PKG:COMMAND) is missing
#
# Debian packages need root: as another user sudo is used when available.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export DEBIAN_FRONTEND=noninteractive

# Run "$@" as root: directly when root, else through sudo, else fail with a clear message.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo env DEBIAN_FRONTEND=noninteractive "$@"
    else
        echo "install.sh: '$*' needs root, and sudo is not available: run it as root, or install the package yourself" >&2
        exit 1
    fi
}

apt_updated=0
apt_install() {
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "install.sh: apt-get not found: install these packages with your system's package manager: $*" >&2
        exit 1
    fi
    if [ "$apt_updated" -eq 0 ]; then
        as_root apt-get update -q
        apt_updated=1
    fi
    as_root apt-get install -y -q --no-install-recommends "$@"
}

# ensure_system_packages PKG[:COMMAND]...: install each package whose command is not on PATH.
ensure_system_packages() {
    local spec package command missing=()
    for spec in "$@"; do
        package="${spec%%:*}"
        command="${spec#*:}"
        if ! command -v "$command" >/dev/null 2>&1; then
            missing+=("$package")
        fi
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "install.sh: installing Debian packages: ${missing[*]}" >&2
        apt_install "${missing[@]}"
    fi
}

ensure_venv() {
    if [ -x .venv/bin/python ] && [ -x .venv/bin/pip ]; then
        return
    fi
    rm -rf .venv
    if ! python3 -m venv .venv; then
        # Debian's python3 comes without ensurepip: that is in python3-venv.
        echo "install.sh: 'python3 -m venv' failed; installing python3-venv and trying again" >&2
        rm -rf .venv
        apt_install python3-venv
        python3 -m venv .venv
    fi
}

ensure_python_packages() {
    local marker=.venv/.installed
    if [ -f "$marker" ] && [ "$marker" -nt pyproject.toml ] && [ "$marker" -nt requirements.lock ]; then
        return
    fi
    echo "install.sh: installing Python packages into .venv" >&2
    .venv/bin/pip install --quiet -c requirements.lock -e '.[test]'
    touch "$marker"
}

if [ "${1:-}" = "--system" ]; then
    shift
    ensure_system_packages "$@"
    exit 0
fi
if [ "$#" -gt 0 ]; then
    echo "usage: scripts/install.sh [--system PKG[:COMMAND]...]" >&2
    exit 2
fi

ensure_venv
ensure_python_packages
