#!/usr/bin/env bash
# `make production`: the production shape, on this machine.
#
#   PostgreSQL (DATABASE_URL; the database is created if missing) and Redis
#   (RATELIMIT_STORAGE_URI) must be answering. This script migrates, loads the
#   demo (LOAD_DEMO=0 skips it), then runs side by side:
#     - gunicorn with WORKERS workers on HOST:PORT (lms.wsgi:app, as installed),
#     - the mail worker (flask outbox send --loop 1),
#     - the job worker (flask jobs work --loop 2: exports made in the background),
#     - a local SMTP sink (scripts/smtp_sink.py) on SMTP_PORT that keeps every
#       message in MAIL_DIR, so e-mail really goes over SMTP.
#   Ctrl-C or SIGTERM stops all of them; if one dies, the others are stopped too.
#   In real production the SMTP sink is your mail server (MAIL_SERVER=...) and
#   a reverse proxy with TLS stands in front: see "Production" in README.md.
#
# Usage: scripts/production.sh [VENV_BIN]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-.venv/bin}
host=${HOST:-127.0.0.1} port=${PORT:-8000} workers=${WORKERS:-4}
state=${STATE_DIR:-instance/production}
mkdir -p "$state"

export DATABASE_URL="${DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/forras_production}"
export RATELIMIT_STORAGE_URI="${RATELIMIT_STORAGE_URI:-redis://127.0.0.1:6379/0}"
export PUBLIC_BASE_URL="${PUBLIC_BASE_URL:-http://$host:$port}"
export LMS_INSTANCE_PATH="${LMS_INSTANCE_PATH:-$PWD/$state}"
export MAIL_SERVER="${MAIL_SERVER:-127.0.0.1}" MAIL_PORT="${MAIL_PORT:-${SMTP_PORT:-8025}}"
export MAIL_DIR="${MAIL_DIR:-$PWD/$state/mail}"
# One key for every process: SECRET_KEY from the environment, else the one lms.config
# keeps in the shared instance folder (created by the first command below).
"$bin/python" - <<'PY'
"""Refuse to start without Redis; create the PostgreSQL database if it is missing."""
import os
import sys
from pathlib import Path

import redis
import sqlalchemy as sa

from lms.config import database_url

try:
    redis.Redis.from_url(os.environ["RATELIMIT_STORAGE_URI"], socket_timeout=5).ping()
except redis.RedisError as error:
    sys.exit(f"production.sh: Redis does not answer at {os.environ['RATELIMIT_STORAGE_URI']}: {error}")
url = sa.engine.make_url(database_url(Path(os.environ["LMS_INSTANCE_PATH"])))
if url.get_backend_name() == "postgresql":
    server = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        if not connection.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                 {"name": url.database}):
            connection.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
            print(f"production.sh: created database {url.database}")
    server.dispose()
PY

export FLASK_APP=lms.wsgi
"$bin/flask" db upgrade
if [ "${LOAD_DEMO:-1}" = 1 ]; then "$bin/flask" demo; fi

sink=()
if [ "$MAIL_SERVER" = 127.0.0.1 ] && [ "${SMTP_SINK:-1}" = 1 ]; then
  sink=(-- "$bin/python" scripts/smtp_sink.py --host 127.0.0.1 --port "$MAIL_PORT" --folder "$MAIL_DIR")
fi
echo "production.sh: serving $PUBLIC_BASE_URL ($workers workers) on $DATABASE_URL and" \
  "$RATELIMIT_STORAGE_URI; mail to $MAIL_SERVER:$MAIL_PORT (kept in $MAIL_DIR)"
# The same supervision as `make run` (gunicorn, the mail worker, and here the sink).
APP=lms.wsgi:app MAIL_INTERVAL="${MAIL_INTERVAL:-1}" \
  exec bash scripts/serve.sh "$bin" "$host" "$port" "$workers" "${sink[@]}"
