"""A benchmark's hook: the number of SQL statements a request ran, as `X-SQL-Count`.

Off unless BENCH_COUNT_SQL is set (the environment variable `BENCH_COUNT_SQL=1`);
bench/pages.py turns it on to report statements per request. It counts what the
application's engines execute while a request is served, nothing else.
"""

from flask import Flask, g, has_request_context
from sqlalchemy import event

from lms.extensions import db

HEADER = "X-SQL-Count"


def init_app(app: Flask) -> None:
    if not app.config.get("BENCH_COUNT_SQL"):
        return
    with app.app_context():
        engines = list(db.engines.values())
    for engine in engines:
        event.listen(engine, "before_cursor_execute", _count)
    app.after_request(_add_header)


def _count(_conn, _cursor, _statement, _parameters, _context, executemany) -> None:
    if has_request_context():
        g.sql_count = g.get("sql_count", 0) + 1


def _add_header(response):
    response.headers[HEADER] = str(g.get("sql_count", 0))
    return response
