"""Requests about personal data: filed by the person, queued for administrators with the
legal deadline (one month), answered, audited."""

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from lms.audit.models import AuditEntry
from lms.clock import utcnow
from lms.privacy.models import PrivacyRequest, RequestKind, RequestState
from lms.privacy.services import file_request, one_month_after


@pytest.mark.parametrize("received, due", [
    (date(2027, 1, 31), date(2027, 2, 28)),
    (date(2028, 1, 31), date(2028, 2, 29)),
    (date(2027, 12, 15), date(2028, 1, 15)),
    (date(2027, 3, 10), date(2027, 4, 10)),
])
def test_the_deadline_is_one_month_after_receipt(received, due):
    assert one_month_after(received) == due


def test_a_trainee_files_a_rectification_and_sees_it(client, auth, db, make_user):
    user = make_user()
    auth.login(user)
    assert 'href="/profile/requests"' in client.get("/profile").get_data(as_text=True)
    response = client.submit("/profile/requests", {
        "kind": "rectification", "details": "My certificate says Kiss Ana; it is Kiss Anna."})
    assert response.status_code == 302
    (filed,) = db.session.scalars(sa.select(PrivacyRequest)).all()
    assert (filed.user_id, filed.kind, filed.state, filed.due_on) == (
        user.id, RequestKind.RECTIFICATION, RequestState.RECEIVED,
        one_month_after(filed.received_at.date()))
    page = client.get("/profile/requests").get_data(as_text=True)
    assert "it is Kiss Anna" not in page and "Received" in page
    assert "Correct data I cannot correct myself" in page
    assert db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.entity == "PrivacyRequest", AuditEntry.action == "create")).one()


def test_a_rectification_without_details_is_refused_next_to_the_field(client, auth, db,
                                                                       make_user):
    auth.login(make_user())
    html = client.submit("/profile/requests", {"kind": "rectification", "details": " "}) \
        .get_data(as_text=True)
    assert "Say what is wrong and what is right." in html
    assert db.session.scalar(sa.select(sa.func.count(PrivacyRequest.id))) == 0


def test_a_second_open_request_of_a_kind_is_refused(client, auth, db, make_user):
    auth.login(make_user())
    client.submit("/profile/requests", {"kind": "erasure", "details": ""})
    html = client.submit("/profile/requests", {"kind": "erasure", "details": ""}) \
        .get_data(as_text=True)
    assert "already have an open request" in html
    assert db.session.scalar(sa.select(sa.func.count(PrivacyRequest.id))) == 1


def test_the_queue_shows_overdue_requests_and_the_admin_answers(client, auth, db, make_user):
    admin, late_one, fresh_one = make_user(role="admin"), make_user(), make_user()
    # the suite's clock: 10 March 2027; a request of 5 January was due on 5 February
    late = file_request(late_one, RequestKind.ERASURE, "", datetime(2027, 1, 5, tzinfo=UTC))
    fresh = file_request(fresh_one, RequestKind.RECTIFICATION, "wrong name",
                         datetime(2027, 3, 9, tzinfo=UTC))
    db.session.commit()
    auth.login(admin)
    assert utcnow().date() == date(2027, 3, 10)
    html = client.get("/manage/privacy-requests/").get_data(as_text=True)
    assert html.index(late_one.full_name) < html.index(fresh_one.full_name)
    assert html.count('class="overdue"') == 1 and "Overdue" in html
    assert client.submit(f"/manage/privacy-requests/{fresh.id}/start",
                         page=f"/manage/privacy-requests/{fresh.id}").status_code == 302
    refused = client.submit(f"/manage/privacy-requests/{fresh.id}",
                            {"state": "done", "outcome": ""}).get_data(as_text=True)
    assert "Say what was done" in refused
    done = client.submit(f"/manage/privacy-requests/{fresh.id}",
                         {"state": "done", "outcome": "Name corrected on the profile."})
    assert done.status_code == 302
    db.session.refresh(fresh)
    assert (fresh.state, fresh.outcome, fresh.handled_by_id) == (
        RequestState.DONE, "Name corrected on the profile.", admin.id)
    states = [e.changes.get("state") for e in db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.entity == "PrivacyRequest", AuditEntry.entity_id == fresh.id,
        AuditEntry.action == "update").order_by(AuditEntry.id))]
    assert states == [["received", "in_progress"], ["in_progress", "done"]]
    assert late.state == RequestState.RECEIVED


def test_the_queue_pages(app, client, auth, db, make_user):
    app.config["PRIVACY_REQUESTS_PAGE_SIZE"] = 2
    people = [make_user() for _ in range(3)]
    for person in people:
        file_request(person, RequestKind.ERASURE, "", datetime(2027, 3, 1, tzinfo=UTC))
    db.session.commit()
    auth.login(make_user(role="admin"))
    first = client.get("/manage/privacy-requests/").get_data(as_text=True)
    second = client.get("/manage/privacy-requests/?page=2").get_data(as_text=True)
    assert sum(p.full_name in first for p in people) == 2
    assert sum(p.full_name in second for p in people) == 1
