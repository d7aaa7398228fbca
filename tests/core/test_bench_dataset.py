"""bench/dataset.py builds a dataset the application works on (PostgreSQL only: it uses COPY)."""

import os
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from lms import create_app
from lms.audit.chain import verify_chain
from lms.extensions import db
from tests.conftest import _is_postgres, _scratch_postgres_database

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import dataset  # noqa: E402

URL = os.environ.get("TEST_DATABASE_URL", "")
pytestmark = pytest.mark.skipif(not _is_postgres(URL), reason="bench/dataset.py needs PostgreSQL")


def test_small_dataset_is_consistent_and_not_built_twice(tmp_path, monkeypatch):
    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path))
    with _scratch_postgres_database(URL) as url:
        figures = dataset.build(url, 0.01)
        assert figures["run"] == 24 and figures["centre"] == 12
        assert figures["attendance_mark"] > 0 and figures["certificate"] > 0
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            verdict = verify_chain(conn)
            assert verdict.ok and verdict.count == figures["audit_entry"]
            # No run holds more seats than it has, nor a trainee two places in one run.
            assert conn.scalar(sa.text(
                "SELECT count(*) FROM run r WHERE r.enrolled_count <> (SELECT count(*) "
                "FROM enrolment e WHERE e.run_id = r.id AND e.state IN ('enrolled', 'pending'))"
            )) == 0
            upcoming = conn.scalar(sa.text(
                "SELECT c.title FROM run r JOIN course c ON c.id = r.course_id "
                "WHERE r.status = 'published' AND EXISTS (SELECT 1 FROM session s "
                "WHERE s.run_id = r.id AND s.date > current_date) ORDER BY r.id LIMIT 1"))
        engine.dispose()
        # The application serves it: the catalogue lists an upcoming run, and the
        # documented administrator logs in with the documented password.
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False})
        client = app.test_client()
        assert upcoming in client.get("/").get_data(as_text=True)
        login = client.post("/login", data={"email": "admin@bench.example",
                                            "password": dataset.PASSWORD})
        assert login.status_code == 302
        assert client.get("/manage/runs/").status_code == 200
        with app.app_context():
            db.engine.dispose()
        assert not dataset.is_empty(url)
        with pytest.raises(SystemExit, match="--force"):
            dataset.build(url, 0.01)
