"""What /healthz checks: the database answers, its schema is at the migrations' head,
and (when limits are shared through Redis) Redis answers.

A schema found at the head is remembered for the life of the process (migrations run
before a new release starts); a missing or older schema is looked at again on every
check, so a database migrated after the start is seen without a restart.
"""

from functools import cache

import redis
import sqlalchemy as sa
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from lms.extensions import db

DATABASE, SCHEMA, REDIS = "database", "schema", "redis"
REDIS_TIMEOUT = 1.0  # seconds: a health check must answer quickly


@cache
def migration_heads(directory: str) -> frozenset[str]:
    """The head revision(s) of the migrations in `directory`."""
    config = AlembicConfig()
    config.set_main_option("script_location", directory)
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def schema_is_current(app: Flask) -> bool:
    """Whether the database's alembic_version is the migrations' head (raises
    SQLAlchemyError when the database does not answer)."""
    state = app.extensions.setdefault("lms.health", {})
    if state.get("schema_current"):
        return True
    heads = migration_heads(str(app.extensions["migrate"].directory))
    with db.engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return False
        found = set(conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars())
    state["schema_current"] = found == heads
    return state["schema_current"]


def redis_answers(url: str) -> bool:
    client = redis.Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT,
                                  socket_timeout=REDIS_TIMEOUT)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def problems(app: Flask) -> list[str]:
    """What is wrong, by cause (DATABASE, SCHEMA, REDIS); empty when all is well."""
    found = []
    try:
        db.session.execute(sa.text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        found.append(DATABASE)
    else:
        try:
            if not schema_is_current(app):
                found.append(SCHEMA)
        except SQLAlchemyError:
            found.append(DATABASE)
    storage = app.config.get("RATELIMIT_STORAGE_URI") or ""
    if storage.startswith(("redis://", "rediss://")) and not redis_answers(storage):
        found.append(REDIS)
    return found
