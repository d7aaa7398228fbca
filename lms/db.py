"""Database helpers shared by every feature package."""

import enum
import sqlite3

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from lms.extensions import db


def str_enum(enum_cls: type[enum.Enum], name: str) -> sa.Enum:
    """A portable enum column: VARCHAR plus a CHECK constraint, values stored as text."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


# Indexes only a migration makes, for one backend, which the models cannot describe
# portably: PostgreSQL's trigram index for the people search (an expression with an
# operator class, on an extension). Comparing models and migrations leaves them out.
MIGRATION_ONLY_INDEXES = frozenset({"ix_user_search_trgm"})


def compared_with_models(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's `include_object`: everything but MIGRATION_ONLY_INDEXES."""
    return not (type_ == "index" and name in MIGRATION_ONLY_INDEXES)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    # WAL lets readers work while one process writes; the busy timeout makes a
    # second writer wait instead of failing with "database is locked".
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def rollback_quietly() -> None:
    """Roll the session back, even when the database no longer answers (the
    connection is then dropped: the pool gives a fresh one next time)."""
    try:
        db.session.rollback()
    except SQLAlchemyError:
        db.session.close()
