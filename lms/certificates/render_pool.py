"""Rendering many certificates on every core (issue all): forked worker processes.

Only the PDFs are made in the workers, from the facts, which are plain data:
serial numbers, facts and the database rows stay in the request's transaction.
The workers are forked from the request's process for one batch and end with
it: they start in milliseconds with the fonts, stylesheets and templates
already loaded, and never touch the database (the parent's connections they
inherit are left alone). Forking is safe only from a single-threaded process (a
thread holding a lock at the fork would leave it locked in the child), so a
threaded server, few certificates or one core render in the process itself;
the bytes are the same either way.
"""

import logging
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from flask import Flask, current_app

from lms.certificates.rendering import render_certificate

log = logging.getLogger(__name__)

# Fewer than this many are rendered in the request's process: forking and
# shipping the PDFs back would cost more than it saves.
POOL_THRESHOLD = 8

# The application and the function the forked workers render with (set just
# before forking; the children inherit them, so neither is pickled).
_app: Flask | None = None
_render: Callable[[dict], bytes] = render_certificate
# How many batches were rendered by worker processes (read by the tests).
batches_in_workers = 0


def _render_in_worker(facts: dict) -> bytes:
    with _app.app_context():
        return _render(facts)


def render_processes() -> int:
    """How many worker processes render: CERTIFICATE_RENDER_PROCESSES, by default one a core."""
    configured = current_app.config.get("CERTIFICATE_RENDER_PROCESSES")
    return int(configured) if configured is not None else (os.cpu_count() or 1)


def render_certificates(many: list[dict],
                        render: Callable[[dict], bytes] = render_certificate) -> list[bytes]:
    """The PDFs of these facts, in order, made by `render` in worker processes when there
    are enough (an error in a worker is raised here, as if rendered in this process)."""
    global _app, _render, batches_in_workers
    size = min(render_processes(), len(many))
    if size < 2 or len(many) < POOL_THRESHOLD or threading.active_count() > 1:
        return [render(facts) for facts in many]
    _app, _render = current_app._get_current_object(), render
    try:
        with ProcessPoolExecutor(max_workers=size,
                                 mp_context=multiprocessing.get_context("fork")) as pool:
            pdfs = list(pool.map(_render_in_worker, many, chunksize=-(-len(many) // size)))
    except BrokenProcessPool:
        log.warning("a certificate worker process died; rendering %d in-process", len(many))
        return [render(facts) for facts in many]
    finally:
        _app, _render = None, render_certificate
    batches_in_workers += 1
    return pdfs
