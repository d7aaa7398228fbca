"""Every administrative change is in the audit log: who, when, what, before → after."""

import sqlalchemy as sa

from lms.audit.models import AuditEntry
from lms.enrolment.models import Enrolment


def entries(db, entity: str) -> list[AuditEntry]:
    return list(db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.entity == entity).order_by(AuditEntry.id)))


def test_an_admins_change_is_logged_with_before_and_after(client, auth, db, make_user,
                                                          make_run):
    admin = make_user(role="admin")
    run = make_run(capacity=20, publish=True)
    auth.login(admin)
    response = client.submit(f"/manage/runs/{run.id}/capacity", {"capacity": "25"},
                             page=f"/manage/runs/{run.id}/roster")
    assert response.status_code == 302
    (entry,) = [e for e in entries(db, "Run") if e.action == "update" and "capacity" in e.changes]
    assert entry.actor_id == admin.id and entry.entity_id == run.id
    assert entry.changes["capacity"] == [20, 25]
    assert entry.endpoint.startswith("enrolment.")


def test_a_refused_change_leaves_no_entry(client, auth, db, make_user, make_run):
    admin = make_user(role="admin")
    run = make_run(capacity=20, publish=True)
    before = len(entries(db, "Run"))
    auth.login(admin)
    html = client.submit(f"/manage/runs/{run.id}/capacity", {"capacity": "0"},
                         page=f"/manage/runs/{run.id}/roster").get_data(as_text=True)
    assert "error-message" in html
    assert len(entries(db, "Run")) == before


def test_passwords_never_reach_the_log(db, make_user):
    user = make_user()
    from lms.auth.services import change_password
    from tests.conftest import PASSWORD

    change_password(user, PASSWORD, "violet harbour lantern")
    db.session.commit()
    logged = entries(db, "User")
    assert logged[-1].changes["password_hash"] == ["(changed)", "(changed)"]
    assert all(user.password_hash not in str(e.changes) for e in logged)


def test_the_log_page_filters_and_keeps_its_query_count(client, auth, db, make_user, make_run,
                                                        query_counter):
    admin = make_user(role="admin", email="boss@example.org")
    auth.login(admin)
    run = make_run(publish=True)
    client.submit(f"/manage/runs/{run.id}/capacity", {"capacity": "30"},
                  page=f"/manage/runs/{run.id}/roster")
    html = client.get("/manage/audit?entity=Run&actor=boss").get_data(as_text=True)
    assert "<dt>Capacity</dt><dd>20 → 30</dd>" in html and "boss@example.org" in html
    assert "No changes match" in client.get("/manage/audit?entity=Run&actor=nobody"
                                            ).get_data(as_text=True)
    bad = client.get("/manage/audit?since=yesterday").get_data(as_text=True)
    assert 'id="since-error"' in bad

    def count() -> int:
        with query_counter() as queries:
            assert client.get("/manage/audit").status_code == 200
        return len(queries)

    few = count()
    for number in range(30):
        make_run(publish=True, capacity=10 + number)
    assert count() == few


def test_trainees_cannot_read_the_log(client, auth, make_user):
    auth.login(make_user())
    assert client.get("/manage/audit").status_code == 403


def test_enrolment_changes_record_the_trainee_as_actor(client, auth, db, make_user, make_run):
    trainee = make_user()
    run = make_run(publish=True)
    auth.login(trainee)
    client.submit(f"/runs/{run.id}/enrol", {}, page=f"/courses/{run.course.code}")
    enrolment = db.session.scalar(sa.select(Enrolment))
    logged = [e for e in entries(db, "Enrolment") if e.entity_id == enrolment.id]
    assert logged[0].action == "create"
    assert [e.changes["state"][1] for e in logged if "state" in e.changes][-1] == "enrolled"
    assert {e.actor_id for e in logged} == {trainee.id}


def _csv(client, url: str) -> list[list[str]]:
    import csv
    import io

    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_the_log_exports_every_matching_change_as_csv(client, auth, db, make_user, make_run):
    admin = make_user(role="admin", email="boss@example.org", full_name="=HYPERLINK(\"x\")")
    auth.login(admin)
    run = make_run(capacity=20, publish=True)
    client.submit(f"/manage/runs/{run.id}/capacity", {"capacity": "30"},
                  page=f"/manage/runs/{run.id}/roster")
    page = client.get("/manage/audit?entity=Run&actor=boss").get_data(as_text=True)
    # the page asks the job worker for the CSV, with its filters (lms/jobs)
    assert 'action="/manage/exports/audit-log"' in page
    assert '<input type="hidden" name="entity" value="Run">' in page
    assert '<input type="hidden" name="actor" value="boss">' in page

    header, *rows = _csv(client, "/manage/audit.csv?entity=Run&actor=boss")
    assert header == ["When (Europe/Budapest)", "Who", "E-mail", "Record", "What", "Reason",
                      "Field", "Before", "After", "Record type (code)", "Record number",
                      "Field (code)"]
    (capacity,) = [row for row in rows if row[-1] == "capacity"]
    assert capacity[1] == "'=HYPERLINK(\"x\")"  # a formula is neutralised, not run
    assert capacity[2] == "boss@example.org" and capacity[4] == "changed"
    assert capacity[3].startswith("Run C-") and capacity[3].endswith(" 2027/1")
    assert capacity[6:] == ["Capacity", "20", "30", "Run", str(run.id), "capacity"]
    assert {row[9] for row in rows} == {"Run"}
    assert _csv(client, "/manage/audit.csv?actor=nobody")[1:] == []


def test_the_csv_export_reads_the_log_in_batches(client, auth, db, make_user, make_run,
                                                 query_counter, monkeypatch):
    from lms.audit import services

    monkeypatch.setattr(services, "EXPORT_BATCH", 1000)
    auth.login(make_user(role="admin"))

    def export() -> tuple[int, int]:
        with query_counter() as queries:
            rows = _csv(client, "/manage/audit.csv")
        return len(rows), len(queries)

    rows_before, queries_before = export()
    for number in range(20):
        make_run(publish=True, capacity=10 + number)
    rows_after, queries_after = export()
    assert rows_after > rows_before + 20 and queries_after == queries_before
    monkeypatch.setattr(services, "EXPORT_BATCH", 7)  # several batches: nothing lost
    assert export()[0] == rows_after + 1  # one more entry: the export before, logged


def test_only_network_administrators_export_the_log(client, auth, make_user):
    auth.login(make_user())
    assert client.get("/manage/audit.csv").status_code == 403
