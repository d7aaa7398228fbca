"""How the audit log export made by the job worker scales with the size of the log.

    python bench/exports.py [--database-url URL] [--entries 50000]

fills an empty database (a fresh SQLite file by default; give a scratch PostgreSQL
database with --database-url, it is written to) with ENTRIES/10 audit entries, then
with ENTRIES, and after each asks for the whole log as CSV and times the job worker
making it (`lms.jobs.services.work_once`, as `flask jobs work` does). It prints, per
size, the entries, seconds, entries per second, microseconds per entry, the file's
size and the process's peak memory; the last line reads
`entries=N seconds=S entries_per_s=R us_per_entry_small=A us_per_entry_large=B
per_entry_ratio=B/A file_mb=M max_rss_mb=X`: a ratio near 1 means the cost per entry
does not grow with the log (keyset batches, not OFFSET), and the peak memory stays
that of one batch. `--entries 705000` is the scale of issue 13.
"""

import argparse
import os
import resource
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FAST_HASH = "pbkdf2:sha256:1000"
INSERT_BATCH = 5_000


def make_app(database_url: str | None):
    os.environ.setdefault("LMS_INSTANCE_PATH", tempfile.mkdtemp(prefix="lms-exports-"))
    os.environ.setdefault("SECRET_KEY", "exports-bench")
    from lms import create_app

    url = database_url or f"sqlite:///{tempfile.mkdtemp(prefix='lms-exports-db-')}/bench.db"
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "PASSWORD_HASH_METHOD": FAST_HASH,
                       "PUBLIC_BASE_URL": "http://127.0.0.1:5000"})


def fill_log(count: int, actor_id: int) -> None:
    """Bring the log to `count` entries: changes of one person's name, inserted in bulk
    (a bench's shortcut: real entries come through the hooks, one per change)."""
    import sqlalchemy as sa

    from lms.audit.models import AuditEntry
    from lms.clock import utcnow
    from lms.extensions import db

    have = db.session.scalar(sa.select(sa.func.count(AuditEntry.id)))
    last = db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(AuditEntry.seq), 0)))
    start = utcnow() - timedelta(days=365)
    rows = []
    for n in range(have, count):
        last += 1
        rows.append({"at": start + timedelta(seconds=n), "actor_id": actor_id,
                     "action": "update", "event": "", "entity": "User", "entity_id": actor_id,
                     "label": "bench@example.org", "endpoint": "manage.edit_user",
                     "changes": {"organisation": [f"Org {n}", f"Org {n + 1}"]}, "reason": "",
                     "seq": last, "hash": f"{last:064x}"})
        if len(rows) == INSERT_BATCH:
            db.session.execute(sa.insert(AuditEntry), rows)
            rows = []
    if rows:
        db.session.execute(sa.insert(AuditEntry), rows)
    db.session.commit()


def export_once(admin) -> tuple[int, float, int]:
    """Ask for the whole log, let the worker make it: entries, seconds, file bytes."""
    from lms.extensions import db
    from lms.jobs import services
    from lms.jobs.models import ExportJob

    job = services.request_audit_export(admin, {}, "en", "Europe/Budapest")
    db.session.commit()
    job_id = job.id
    began = time.perf_counter()
    services.work_once("bench")
    seconds = time.perf_counter() - began
    db.session.remove()
    job = db.session.get(ExportJob, job_id)
    assert job.state.value == "done", (job.state, job.error)
    return job.progress_done, seconds, job.size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url")
    parser.add_argument("--entries", type=int, default=50_000)
    args = parser.parse_args()
    app = make_app(args.database_url)
    from flask_migrate import upgrade

    from lms.auth.models import Role, User
    from lms.auth.services import create_user
    from lms.extensions import db

    with app.app_context():
        upgrade()
        admin = create_user(f"bench-{os.getpid()}@example.org", "bench password 2026",
                            "Bench Admin", Role.ADMIN)
        db.session.commit()
        admin_id = admin.id
        results = []
        for size in (max(args.entries // 10, 1), args.entries):
            fill_log(size, admin_id)
            admin = db.session.get(User, admin_id)
            entries, seconds, size_bytes = export_once(admin)
            rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            results.append((entries, seconds, size_bytes, rss_mb))
            print(f"entries={entries} seconds={seconds:.2f} entries_per_s={entries / seconds:.0f} "
                  f"us_per_entry={seconds / entries * 1e6:.1f} file_mb={size_bytes / 1e6:.1f} "
                  f"max_rss_mb={rss_mb:.0f}", flush=True)
    (small_n, small_s, _b, _m), (n, s, size_bytes, rss_mb) = results
    small_us, large_us = small_s / small_n * 1e6, s / n * 1e6
    print(f"entries={n} seconds={s:.2f} entries_per_s={n / s:.0f} "
          f"us_per_entry_small={small_us:.1f} us_per_entry_large={large_us:.1f} "
          f"per_entry_ratio={large_us / small_us:.2f} file_mb={size_bytes / 1e6:.1f} "
          f"max_rss_mb={rss_mb:.0f}")


if __name__ == "__main__":
    main()
