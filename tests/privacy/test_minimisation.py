"""The audit log refers to people by id only (docs/privacy.md, "The audit log")."""

import sqlalchemy as sa

from lms.audit.chain import verify_chain
from lms.audit.models import AuditEntry
from lms.auth.models import User
from lms.certificates.models import Certificate


def _log_text(db) -> str:
    return str([(e.label, e.changes, e.reason) for e in db.session.scalars(sa.select(AuditEntry))])


def test_a_persons_details_are_logged_as_changed_never_as_written(client, auth, db, make_user):
    user = make_user(email="zsofia.kertesz@example.org", full_name="Kertész Zsófia",
                     organisation="Szolnoki Család- és Gyermekjóléti Központ",
                     phone="+36 30 123 4567", settlement="Törökszentmiklós")
    auth.login(user)
    client.get("/profile")
    (created,) = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.entity == "User", AuditEntry.entity_id == user.id,
        AuditEntry.action == "create")).all()
    assert created.changes["full_name"] == [None, "(changed)"]
    assert created.changes["email"] == [None, "(changed)"]
    assert created.changes["role"] == [None, "trainee"]  # what is not personal stays readable
    text = _log_text(db)
    for value in ("zsofia", "Kertész", "Szolnoki", "123 4567", "Törökszentmiklós", "127.0.0.1"):
        assert value not in text


def test_a_certificates_facts_are_logged_by_their_digest(db, certificate_world):
    certificate = db.session.get(Certificate, certificate_world["ids"]["certificate_id"])
    holder = db.session.get(User, certificate.enrolment.user_id)
    assert holder.full_name in str(certificate.facts)
    entry = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.entity == "Certificate", AuditEntry.entity_id == certificate.id,
        AuditEntry.action == "create")).one()
    assert entry.changes["facts"][1].startswith("sha256:")
    assert holder.full_name not in _log_text(db) and holder.email not in _log_text(db)
    assert verify_chain(db.session.connection()).ok
