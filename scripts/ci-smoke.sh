#!/usr/bin/env bash
# CI: the production shape (scripts/production.sh) on a fresh PostgreSQL database
# and Redis, the smoke journey (scripts/smoke.py) against it, then everything stopped,
# whether the smoke passed or not.
#
# Usage: scripts/ci-smoke.sh   (PG_SERVER_URL, REDIS_URL, PORT, SMTP_PORT to override)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin
pg_server=${PG_SERVER_URL:-postgresql+psycopg://postgres@127.0.0.1:5432}
database="forras_smoke_$(date +%s)_$$"
port=${PORT:-$("$bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
smtp_port=${SMTP_PORT:-$("$bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
state=$(mktemp -d "${TMPDIR:-/tmp}/forras-smoke.XXXXXX")
base_url="http://127.0.0.1:$port"

drop_database() {
  "$bin/python" - "$pg_server" "$database" <<'PY' || true
import sys

import sqlalchemy as sa

engine = sa.create_engine(f"{sys.argv[1]}/postgres", isolation_level="AUTOCOMMIT")
with engine.connect() as connection:
    connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{sys.argv[2]}" WITH (FORCE)'))
engine.dispose()
PY
}

server=""
cleanup() {
  status=$?
  trap - EXIT INT TERM
  if [ -n "$server" ]; then
    # production.sh leads its own process group: stop it and everything it started.
    kill -TERM -- "-$server" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 -- "-$server" 2>/dev/null || break; sleep 0.25; done
    kill -KILL -- "-$server" 2>/dev/null || true
  fi
  drop_database
  if [ "$status" -ne 0 ]; then
    echo "ci-smoke: FAILED (status $status); the server's log:" >&2
    tail -n 60 "$state/server.log" >&2 || true
  fi
  rm -rf "$state"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== smoke: production shape on database $database, Redis, $base_url"
DATABASE_URL="$pg_server/$database" \
RATELIMIT_STORAGE_URI="${REDIS_URL:-redis://127.0.0.1:6379/0}" \
PUBLIC_BASE_URL="$base_url" PORT="$port" SMTP_PORT="$smtp_port" WORKERS="${WORKERS:-3}" \
STATE_DIR="$state" LMS_INSTANCE_PATH="$state" MAIL_DIR="$state/mail" \
  setsid scripts/production.sh "$bin" >"$state/server.log" 2>&1 &
server=$!

# Migrating and loading the demo on a fresh database takes a while on a slow machine.
for _ in $(seq 1 240); do
  if ! kill -0 "$server" 2>/dev/null; then
    echo "ci-smoke: production.sh ended before serving" >&2
    exit 1
  fi
  if "$bin/python" -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" \
      "$base_url/healthz" 2>/dev/null; then
    break
  fi
  sleep 0.5
done
"$bin/python" -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=5)" \
  "$base_url/healthz" || { echo "ci-smoke: $base_url/healthz never answered" >&2; exit 1; }

"$bin/python" scripts/smoke.py --base-url "$base_url" --mail-dir "$state/mail"
