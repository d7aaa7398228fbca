"""Rendering many certificates on every core (issue all): worker processes, each with its own app.

Only the PDFs are made in the workers, from the facts, which are plain data:
serial numbers, facts and the database rows stay in the request's transaction.
The pool is started on first use and kept for the life of the process (starting
a worker costs about a second: a new interpreter loads Flask and WeasyPrint);
few certificates, one core or a broken pool render in the process itself, as
before, with identical bytes.
"""

import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from flask import current_app

import lms
from lms.certificates.rendering import render_certificate

log = logging.getLogger(__name__)

# Fewer than this many are rendered in the request's process: a pool's first
# start would cost more than it saves.
POOL_THRESHOLD = 8

_pool: ProcessPoolExecutor | None = None
_pool_size = 0
_worker_app = None


def _start_worker(config: dict) -> None:
    global _worker_app
    _worker_app = lms.create_app(config)


def _render_in_worker(facts: dict) -> bytes:
    with _worker_app.app_context():
        return render_certificate(facts)


def _worker_config() -> dict:
    # The worker needs templates, translations and static files, never the database.
    return {"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "certificate-renderer",
            "TESTING": current_app.config.get("TESTING", False)}


def _pool_of(size: int) -> ProcessPoolExecutor:
    global _pool, _pool_size
    if _pool is None or _pool_size != size:
        shutdown_pool()
        # spawn, not fork: a forked web worker would share its database
        # connections and whatever locks its threads held.
        _pool = ProcessPoolExecutor(max_workers=size,
                                    mp_context=multiprocessing.get_context("spawn"),
                                    initializer=_start_worker, initargs=(_worker_config(),))
        _pool_size = size
    return _pool


def shutdown_pool() -> None:
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=True, cancel_futures=True)
        _pool = None


def render_processes() -> int:
    """How many worker processes render: CERTIFICATE_RENDER_PROCESSES, by default one a core."""
    configured = current_app.config.get("CERTIFICATE_RENDER_PROCESSES")
    return int(configured) if configured is not None else (os.cpu_count() or 1)


def render_certificates(many: list[dict]) -> list[bytes]:
    """The PDFs of these facts, in order, rendered by the pool when there are enough."""
    size = render_processes()
    if size < 2 or len(many) < POOL_THRESHOLD:
        return [render_certificate(facts) for facts in many]
    try:
        chunk = max(1, len(many) // (size * 4))
        return list(_pool_of(size).map(_render_in_worker, many, chunksize=chunk))
    except BrokenProcessPool:
        log.warning("certificate render pool broke; rendering %d in-process", len(many))
        shutdown_pool()
        return [render_certificate(facts) for facts in many]
