#!/usr/bin/env bash
# `make run` (and `make production`): the web server (gunicorn), the mail worker and
# the job worker (exports) side by side, with one more process if given after `--` (production.sh's SMTP sink).
# Ctrl-C (or SIGTERM) stops all; if one dies, the others are stopped too.
# Usage: scripts/serve.sh VENV_BIN HOST PORT WORKERS [-- COMMAND...]
# Environment: APP (the WSGI app, wsgi:app), MAIL_INTERVAL and JOB_INTERVAL (seconds, 2).
set -u
bin=${1:-.venv/bin} host=${2:-127.0.0.1} port=${3:-5000} workers=${4:-2}
shift $(( $# < 4 ? $# : 4 ))
[ "${1:-}" = "--" ] && shift
export PUBLIC_BASE_URL="${PUBLIC_BASE_URL:-http://$host:$port}"

# gunicorn >= 25.1 opens a control socket (~/.gunicorn/gunicorn.ctl) unless told not to:
# one more thing listening, and two servers on one machine would fight over it.
control=()
if "$bin/gunicorn" --help 2>/dev/null | grep -q -- '--no-control-socket'; then
  control=(--no-control-socket)
fi

pids=()
stop() {
  trap - INT TERM
  kill -TERM "${pids[@]}" 2>/dev/null
  wait "${pids[@]}" 2>/dev/null
}
trap 'stop; exit 0' INT TERM

if [ $# -gt 0 ]; then
  "$@" &
  pids+=($!)
fi
"$bin/flask" outbox send --loop "${MAIL_INTERVAL:-2}" &
pids+=($!)
"$bin/flask" jobs work --loop "${JOB_INTERVAL:-2}" &
pids+=($!)
"$bin/gunicorn" --workers "$workers" --bind "$host:$port" --access-logfile - "${control[@]}" \
  "${APP:-wsgi:app}" &
pids+=($!)

wait -n
status=$?
[ "$status" -eq 0 ] || echo "serve.sh: a process ended (status $status); stopping the others" >&2
stop
exit "$status"
