#!/usr/bin/env bash
# `make run`: install what is missing, then serve the demo site on http://127.0.0.1:${PORT:-8000}/.
#
# Environment (all optional):
#   PORT              port to serve on (8000)
#   REDIS_URL         Redis to use (redis://127.0.0.1:6379/0). When nothing answers there, a private
#                     redis-server is started on a free port with its data in .run/redis, and stopped
#                     on exit. Set it empty (REDIS_URL=) to send votes straight to SQLite.
#   FEEDBACK_DB       SQLite file (.run/feedback.sqlite3)
#   FEEDBACK_SECRET   secret (by default kept in .run/secret, made on first run)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install.sh
scripts/widget.sh --if-needed

mkdir -p .run
PYTHON=.venv/bin/python
PORT="${PORT:-8000}"

# redis_answers URL: true when a Redis at URL answers PING within a second.
redis_answers() {
    "$PYTHON" -c '
import sys, redis
client = redis.Redis.from_url(sys.argv[1], socket_timeout=1, socket_connect_timeout=1)
try:
    client.ping()
finally:
    client.close()
' "$1" >/dev/null 2>&1
}

free_port() {
    "$PYTHON" -c '
import socket
with socket.socket() as sock:
    sock.bind(("127.0.0.1", 0))
    print(sock.getsockname()[1])
'
}

redis_pid=""
stop_redis() {
    [ -n "$redis_pid" ] || return 0
    if kill -0 "$redis_pid" 2>/dev/null; then
        kill -TERM "$redis_pid" 2>/dev/null || true # redis-server fsyncs its AOF and exits
        for _ in $(seq 100); do
            kill -0 "$redis_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$redis_pid" 2>/dev/null || true
    fi
    wait "$redis_pid" 2>/dev/null || true
    redis_pid=""
}

# start_private_redis: a redis-server of our own on a free port; sets REDIS_URL, or fails.
start_private_redis() {
    command -v redis-server >/dev/null 2>&1 || return 1
    local port url
    port="$(free_port)"
    url="redis://127.0.0.1:${port}/0"
    mkdir -p .run/redis
    # In a session of its own, so that a Ctrl-C meant for the app does not stop Redis before the
    # app's final flush of pending votes into SQLite; the EXIT trap stops it afterwards.
    setsid redis-server --port "$port" --dir "$PWD/.run/redis" \
        --appendonly yes --appendfsync everysec --save '' --bind 127.0.0.1 --daemonize no \
        </dev/null >.run/redis.log 2>&1 &
    redis_pid=$!
    trap stop_redis EXIT
    for _ in $(seq 100); do # up to ~20 s: loading a large AOF answers LOADING for a while
        if redis_answers "$url"; then
            REDIS_URL="$url"
            echo "run.sh: started a private redis-server at $REDIS_URL (data in .run/redis, log in .run/redis.log)"
            return 0
        fi
        kill -0 "$redis_pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "run.sh: the private redis-server did not answer; last lines of .run/redis.log:" >&2
    tail -n 5 .run/redis.log >&2 || true
    stop_redis
    return 1
}

REDIS_URL="${REDIS_URL-redis://127.0.0.1:6379/0}"
if [ -z "$REDIS_URL" ]; then
    echo "run.sh: REDIS_URL is empty: votes go straight to SQLite"
elif redis_answers "$REDIS_URL"; then
    echo "run.sh: using the Redis at $REDIS_URL"
else
    echo "run.sh: no Redis answers at $REDIS_URL; starting a private one"
    if ! command -v redis-server >/dev/null 2>&1; then
        scripts/install.sh --system redis-server || echo "run.sh: could not install redis-server" >&2
    fi
    if ! start_private_redis; then
        REDIS_URL=""
        echo "run.sh: no Redis available: votes go straight to SQLite"
    fi
fi
export REDIS_URL

export FEEDBACK_DB="${FEEDBACK_DB:-.run/feedback.sqlite3}"
if [ -z "${FEEDBACK_SECRET:-}" ]; then
    if [ ! -s .run/secret ]; then
        (umask 077 && "$PYTHON" -c 'import secrets; print(secrets.token_hex(32))' >.run/secret)
    fi
    FEEDBACK_SECRET="$(cat .run/secret)"
fi
export FEEDBACK_SECRET

origins=(--origin http://127.0.0.1:8000 --origin http://localhost:8000)
if [ "$PORT" != 8000 ]; then
    origins+=(--origin "http://127.0.0.1:${PORT}" --origin "http://localhost:${PORT}")
fi
"$PYTHON" -m feedback site add demo "${origins[@]}"
"$PYTHON" -m feedback site add demo-helpful "${origins[@]}" --scale helpful

# Made-up votes and comments on a site of their own (its widget is on no page), so that the
# dashboard has something to show on the first run; the demo sites' figures stay real.
if ! "$PYTHON" -m feedback site list | cut -f1 | grep -qx demo-news; then
    "$PYTHON" -m feedback seed --site demo-news --events 20000 --articles 300 --days 60
fi

# A first dashboard user, so that a newcomer can log in: its password is made once and kept in
# .run/admin-password.
if [ -z "$("$PYTHON" -m feedback user list)" ]; then
    (umask 077 && "$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(12))' >.run/admin-password)
    "$PYTHON" -m feedback user add admin@example.com --role admin --password-stdin <.run/admin-password
fi

echo "Demo article: http://127.0.0.1:${PORT}/"
if [ -s .run/admin-password ]; then
    echo "Dashboard:    http://127.0.0.1:${PORT}/dashboard/ (admin@example.com, password in .run/admin-password)"
fi
server=("$PYTHON" -m feedback serve --host 127.0.0.1 --port "$PORT")
if [ -z "$redis_pid" ]; then
    exec "${server[@]}"
fi

# With a private Redis, stay around to stop it once the app is gone: the app runs in the
# background, a stop signal is passed on to it, and Redis is stopped only after the app's
# shutdown (which flushes pending votes into SQLite) is over.
"${server[@]}" &
app_pid=$!
trap 'kill -TERM "$app_pid" 2>/dev/null || true' INT TERM HUP
status=0
while :; do
    wait "$app_pid" && status=0 || status=$?
    kill -0 "$app_pid" 2>/dev/null || break # still running: wait was cut short by a signal
done
exit "$status"
