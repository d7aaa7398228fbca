"""The audit log reads as a centre's administrator or an auditor needs it: record
names, field labels, translated states, moments in the reader's zone, links only
where the reader may go."""

import csv
import io
import re
from datetime import UTC, date, datetime

import sqlalchemy as sa
import time_machine
from flask_login import login_user

from lms.audit import labels, presentation, services
from lms.audit.models import AuditEntry
from lms.clock import utcnow
from lms.enrolment import services as enrolment
from lms.enrolment.models import EnrolmentState
from lms.extensions import db as _db


def test_every_audited_field_has_a_label(app):
    missing = []
    for mapper in _db.Model.registry.mappers:
        entity = mapper.class_.__name__
        if entity not in services.AUDITED:
            continue
        assert entity in labels.KINDS
        missing += [f"{entity}.{attr.key}" for attr in services._audited_columns(mapper)
                    if labels.field_label(entity, attr.key) is None]
    assert missing == [], "give these fields a label in lms/audit/presentation.py"


def _cancelled_waitlist_entry(db, make_user, make_course, make_centre, make_run):
    course = make_course(code="KAP-60", total_hours=24)
    centre = make_centre(city="Debrecen")
    run = make_run(course=course, centre=centre, capacity=1, start=date(2027, 4, 12),
                   enrolment_closes=date(2027, 4, 1))
    enrolment.enrol(make_user(), run, utcnow())
    trainee = make_user(full_name="Kiss Boglárka")
    waiting = enrolment.enrol(trainee, run, utcnow())
    assert waiting.state == EnrolmentState.WAITLISTED
    db.session.commit()
    admin = make_user(role="admin", email="boss@example.org", full_name="Nagy Anna")
    enrolment.cancel_enrolment(waiting, admin, utcnow(), "Found another training",
                               kind=enrolment.CancelKind.BY_ADMIN)
    db.session.commit()
    return admin, run, waiting


def _table(html: str) -> str:
    return html[html.index("<tbody>"):html.index("</tbody>")]


def test_a_cancellation_reads_in_hungarian_and_bulgarian(client, auth, db, make_user,
                                                         make_course, make_centre, make_run):
    admin, run, waiting = _cancelled_waitlist_entry(db, make_user, make_course, make_centre,
                                                    make_run)
    expectations = {
        "hu": ("Kiss Boglárka jelentkezése: KAP-60 Debrecen 2027/1", "Állapot", "Várólistán",
               "Törölve", "Másik képzést talált"),
        "bg": ("Записване на Kiss Boglárka за KAP-60 Debrecen 2027/1", "Състояние",
               "В списъка на чакащите", "Отменено", "Found another training"),
    }
    auth.login(admin)
    for locale, expected in expectations.items():
        admin.locale = locale
        db.session.commit()
        html = client.get(f"/manage/audit?entity=Enrolment&id={waiting.id}").get_data(
            as_text=True)
        table = _table(html)
        for text in expected[:4]:
            assert text in table, (locale, text)
        assert f'href="/manage/runs/{run.id}/roster"' in table
        for raw in ("enrolment_id", "cancel_kind", "waitlisted", ">True<", "None", "by_admin"):
            assert raw not in table, (locale, raw)
        assert "Found another training" in table  # the reason, as given
        assert re.search(r'<time datetime="2027-03-10T09:\d\d:\d\dZ">', table)


def test_moments_are_shown_in_the_readers_zone(client, auth, db, make_user):
    admin = make_user(role="admin")
    with time_machine.travel(datetime(2027, 1, 15, 22, 30, tzinfo=UTC), tick=False):
        services.record_event(services.DOWNLOAD, "User", admin.id, "transcript.pdf",
                              actor_id=admin.id)
        db.session.commit()
    auth.login(admin)
    shown = {}
    for locale in ("hu", "bg"):
        admin.locale = locale
        db.session.commit()
        table = _table(client.get("/manage/audit?entity=User").get_data(as_text=True))
        (shown[locale],) = re.findall(r'<time datetime="2027-01-15T22:30:00Z">([^<]*)</time>',
                                      table)
        if locale == "hu":  # the event as a sentence
            assert f"{admin.full_name} letöltötte: Személy: {admin.full_name} (transcript.pdf)" \
                in table
    assert shown["hu"] == "2027. 01. 15. 23:30"  # Budapest: UTC+1 in winter
    assert shown["bg"].startswith("16.01.27") and shown["bg"].endswith(" 0:30")  # Sofia: +2


def test_a_stored_moment_is_shown_in_the_readers_zone(app, db, make_user):
    admin = make_user(role="admin", locale="bg")
    entry = AuditEntry(at=utcnow(), action="update", entity="Run", entity_id=None,
                       changes={"cancelled_at": [None, "2027-01-15T22:30:00+00:00"],
                                "approval_required": [False, True]})
    with app.test_request_context("/manage/audit"):
        login_user(admin)
        (line,) = presentation.present([entry])
        cancelled, approval = line.changes
        assert cancelled.after.text.startswith("16.01.27") and cancelled.after.text.endswith("0:30")
        assert cancelled.before.text == "—"
        assert (approval.before.text, approval.after.text) == ("Не", "Да")


def test_links_only_where_the_reader_may_go(app, db, make_user, make_centre, make_run):
    home, other = make_centre(), make_centre()
    own_run, their_run = make_run(centre=home), make_run(centre=other)
    scoped = make_user(role="admin")
    scoped.centre_id = home.id
    network = make_user(role="admin")
    entries = list(db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.entity == "Run", AuditEntry.action == "create",
        AuditEntry.entity_id.in_([own_run.id, their_run.id])).order_by(AuditEntry.id)))
    for reader, their_link in ((scoped, None), (network, f"/manage/runs/{their_run.id}")):
        with app.test_request_context("/manage/audit"):
            login_user(reader)
            own, theirs = presentation.present(entries)
            assert own.record.url == f"/manage/runs/{own_run.id}"
            assert theirs.record.url == their_link
            assert theirs.record.name.startswith("Run ")


def test_the_page_loads_what_it_names_in_a_fixed_number_of_queries(
        client, auth, db, make_user, make_run, query_counter):
    admin = make_user(role="admin")
    auth.login(admin)

    def count() -> int:
        with query_counter() as queries:
            assert client.get("/manage/audit").status_code == 200
        return len(queries)

    def activity():
        run = make_run(publish=True, capacity=1)
        first = enrolment.enrol(make_user(), run, utcnow())
        enrolment.enrol(make_user(), run, utcnow())
        db.session.commit()
        enrolment.cancel_enrolment(first, admin, utcnow(), "Ill")
        db.session.commit()

    activity()
    few = count()
    for _ in range(5):  # 30 more entries and more: runs, sessions, people, enrolments
        activity()
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id))) > 60
    assert count() == few


def test_the_csv_speaks_hungarian(client, auth, db, make_user, make_course, make_centre,
                                  make_run):
    admin, run, waiting = _cancelled_waitlist_entry(db, make_user, make_course, make_centre,
                                                    make_run)
    admin.locale = "hu"
    db.session.commit()
    auth.login(admin)
    response = client.get(f"/manage/audit.csv?entity=Enrolment&id={waiting.id}")
    header, *rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip(
        "\ufeff")), delimiter=";"))  # Hungarian Excel's separator
    assert header[0] == "Időpont (Europe/Budapest)"
    assert header[-3:] == ["Rekordtípus (kód)", "Rekord azonosítója", "Mező (kód)"]
    (state,) = [row for row in rows if row[-1] == "state" and row[7:9] == ["Várólistán", "Törölve"]]
    assert state[3] == "Kiss Boglárka jelentkezése: KAP-60 Debrecen 2027/1"
    assert state[6:9] == ["Állapot", "Várólistán", "Törölve"]
    assert state[-3:-1] == ["Enrolment", str(waiting.id)]
    assert state[1] == "Nagy Anna" and state[5] == "Found another training"
    assert re.fullmatch(r"2027-03-10 10:\d\d:\d\d", state[0])  # Budapest: UTC+1


def test_a_long_text_is_shortened_with_all_of_it_at_hand(client, auth, db, make_user,
                                                        make_run):
    admin = make_user(role="admin")
    run = make_run(publish=False)
    note = "Funded by the ESF+ programme " + "and its national co-financing " * 5 + "END"
    run.funding_note = note
    db.session.commit()
    auth.login(admin)
    table = _table(client.get(f"/manage/audit?entity=Run&id={run.id}").get_data(as_text=True))
    assert "<dt>Funding note</dt>" in table
    assert f'title="{note}"' in table and "…</span>" in table
    assert table.count(note) == 2  # in the title and behind "Show all", never cut


def test_an_audit_csv_too_long_for_a_web_request_is_sent_to_the_export_worker(
        app, client, auth, db, make_user):
    app.config["AUDIT_CSV_DIRECT_LIMIT"] = 3
    admin = make_user(role="admin")
    for _ in range(3):
        make_user()
    auth.login(admin)
    response = client.get("/manage/audit.csv?entity=User", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.request.path == "/manage/audit"
    assert "More than 3 entries match: use Export" in page
    app.config["AUDIT_CSV_DIRECT_LIMIT"] = 50_000
    with client.get("/manage/audit.csv?entity=User") as response:
        assert response.mimetype == "text/csv"
