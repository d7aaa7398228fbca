"""The register number and training period a trainee records on their profile."""

from datetime import date

import pytest
import sqlalchemy as sa

from lms.audit.models import AuditEntry

PROFILE = {
    "profile-full_name": "Fűzi Anikó",
    "profile-organisation": "Zalaegerszegi Gondozási Központ",
    "profile-job_title": "",
    "profile-county": "Zala",
    "profile-settlement": "Zalaegerszeg",
    "profile-phone": "",
    "profile-locale": "",
    "profile-time_zone": "",
    "profile-register_number": "",
    "profile-training_period_start": "",
    "profile-training_period_end": "",
}


def save(client, **fields):
    data = dict(PROFILE, **{f"profile-{name}": value for name, value in fields.items()})
    return client.submit("/profile", data)


def test_the_number_and_period_are_saved_the_end_defaults_to_four_years_and_logged(
        client, auth, db, make_user):
    user = make_user()
    auth.login(user)
    response = save(client, register_number=" Z-051107/2019 ", training_period_start="2025-02-01")
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.register_number == "Z-051107/2019"
    assert (user.training_period_start, user.training_period_end) == (
        date(2025, 2, 1), date(2029, 1, 31))
    page = client.get("/profile").get_data(as_text=True)
    assert 'value="Z-051107/2019"' in page and 'value="2029-01-31"' in page
    entry = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.entity == "User", AuditEntry.entity_id == user.id,
        AuditEntry.action == "update").order_by(AuditEntry.id.desc())).first()
    assert entry.actor_id == user.id
    assert entry.changes["register_number"] == ["", "(changed)"]  # by id only
    assert entry.changes["training_period_end"] == [None, "2029-01-31"]


def test_an_explicit_end_is_kept_and_emptying_the_fields_clears_them(client, auth, db, make_user):
    user = make_user()
    auth.login(user)
    save(client, register_number="H-028876", training_period_start="2022-06-01",
         training_period_end="2027-05-31")
    db.session.refresh(user)
    assert user.training_period_end == date(2027, 5, 31)
    assert save(client).status_code == 302
    db.session.refresh(user)
    assert (user.register_number, user.training_period_start, user.training_period_end) == (
        "", None, None)


@pytest.mark.parametrize("field, value, message", [
    ("register_number", "12 34", "Use only letters, digits, hyphens and slashes"),
    ("register_number", "A-1\x00", "control characters"),
    ("register_number", "A" * 31, "At most 30 characters"),
    ("register_number", "x" * 100_000, "At most 30 characters"),
    ("register_number", "=HYPERLINK(1)", "Use only letters, digits, hyphens and slashes"),
    ("training_period_start", "9999-01-01", "Enter a date between"),
    ("training_period_start", "1999-12-31", "Enter a first day between"),
    ("training_period_start", "2026-02-30", "Not a valid date value"),
    ("training_period_start", "2026-01-01\x00", "Not a valid date value"),
    ("training_period_end", "9999-12-31", "Enter a date between"),
    ("training_period_end", "2025-01-01", "Enter the first day of the period too"),
])
def test_hostile_input_gets_a_message_next_to_the_field_and_changes_nothing(
        client, auth, db, make_user, field, value, message):
    user = make_user()
    auth.login(user)
    save(client, register_number="B-045812", training_period_start="2023-09-01")
    fields = {field: value}
    if field == "training_period_end" and value.startswith("9999"):
        fields["training_period_start"] = "2024-01-01"
    if field == "training_period_end" and value.startswith("2025"):
        fields["training_period_start"] = ""
    response = save(client, **fields)
    assert response.status_code in (200, 400)
    html = response.get_data(as_text=True)
    # an end without a start: the start is what is missing
    where = "training_period_start" if "first day of the period too" in message else field
    error = html.split(f'id="profile-{where}-error"', 1)
    assert len(error) == 2 and message in error[1].split("</p>", 1)[0]
    db.session.refresh(user)
    assert (user.register_number, user.training_period_start, user.training_period_end) == (
        "B-045812", date(2023, 9, 1), date(2027, 8, 31))


@pytest.mark.parametrize("start, end, message", [
    ("2024-01-01", "2024-01-01", "The period must end after it starts."),
    ("2024-01-01", "2023-12-31", "The period must end after it starts."),
    ("2024-01-01", "2034-01-01", "A training period lasts four years: check the last day."),
])
def test_the_period_must_be_a_sane_one(client, auth, db, make_user, start, end, message):
    user = make_user()
    auth.login(user)
    response = save(client, training_period_start=start, training_period_end=end)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert message in html.split('id="profile-training_period_end-error"', 1)[1][:300]
    db.session.refresh(user)
    assert user.training_period_start is None
