"""Issued transcripts: a stored, verifiable document an official accepts."""

import hashlib
import io
import json
import re
from datetime import date

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from lms.audit.models import AuditEntry
from lms.certificates import services
from lms.certificates.models import Transcript
from lms.clock import utcnow
from lms.errors import DomainError
from lms.extensions import db as _db

TODAY = date.today()


def _issue(client, **kwargs) -> Transcript:
    """Issue a transcript through the page's button; the newest one stored."""
    response = client.submit("/my/transcripts", **kwargs)
    assert response.status_code == 302
    return _newest()


def _newest() -> Transcript:
    return _db.session.scalar(sa.select(Transcript).order_by(Transcript.id.desc()).limit(1))


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_issuing_stores_a_snapshot_and_the_pdf_the_verify_page_vouches_for(
        app, client, auth, db, closed_run):
    app.config["NETWORK_NAME"] = "Forrás Resource Centre Network"
    run, admin, (maria, tunde, _ivan) = closed_run()
    certificate = services.issue_certificate(maria, admin, TODAY)
    services.issue_certificate(tunde, admin, TODAY)  # someone else's: not on hers
    db.session.commit()
    auth.login(maria.user)
    transcript = _issue(client)
    assert transcript.user_id == maria.user.id
    facts = transcript.facts
    assert facts["holder"] == "Мария Петрова"
    assert [row["serial"] for row in facts["rows"]] == [certificate.serial]
    assert facts["rows"][0]["course"] == "Работа със семейства в риск"
    assert facts["rows"][0]["hours"] == 24 and facts["total_hours"] == 24
    assert facts["issuer"]["network"] == "Forrás Resource Centre Network"
    assert [c["city"] for c in facts["issuer"]["centres"]] == ["Разград"]

    listing = client.get("/my/transcripts").get_data(as_text=True)
    assert transcript.verification_code in listing
    download = client.get(f"/my/transcripts/{transcript.id}.pdf")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.data == transcript.pdf
    sha = hashlib.sha256(download.data).hexdigest()
    assert sha == transcript.pdf_sha256

    text = _text(download.data)
    for expected in ("Мария Петрова", certificate.serial, transcript.verification_code,
                     f"/v/{transcript.verification_code}", "Forrás Resource Centre Network"):
        assert expected in text
    reader = PdfReader(io.BytesIO(download.data))
    assert json.loads(reader.attachments["transcript.json"][0]) == facts
    assert "pdfaid" in reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()

    auth.logout()
    for url in (f"/v/{transcript.verification_code}",
                f"/verify/{transcript.verification_code}"):
        page = client.get(url)
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        for expected in (sha, "Мария Петрова", certificate.serial, "Работа със семейства в риск",
                         "Forrás Resource Centre Network", "sha256sum"):
            assert expected in html
        assert "Szőke Tünde" not in html
    # the form's lookup finds a transcript's code as well
    found = client.get("/verify", query_string={"code": transcript.verification_code})
    assert found.headers["Location"].endswith(f"/verify/{transcript.verification_code}")


def test_an_issued_transcript_does_not_change_afterwards(client, auth, db, closed_run):
    run, admin, (maria, *_rest) = closed_run()
    first_certificate = services.issue_certificate(maria, admin, TODAY)
    db.session.commit()
    auth.login(maria.user)
    old = _issue(client)
    old_pdf, old_sha = old.pdf, old.pdf_sha256
    # later: the name is corrected, the certificate revoked and a new one issued
    maria.user.full_name = "Мария Петрова-Иванова"
    services.revoke(first_certificate, admin, "Сгрешено име")
    newer_certificate = services.reissue(first_certificate, admin, TODAY)
    db.session.commit()
    new = _issue(client)

    assert new.id != old.id and new.verification_code != old.verification_code
    assert [row["serial"] for row in new.facts["rows"]] == [newer_certificate.serial]
    assert new.facts["holder"] == "Мария Петрова-Иванова"
    db.session.expire_all()
    old = db.session.get(Transcript, old.id)
    assert old.pdf == old_pdf and old.pdf_sha256 == old_sha
    assert old.facts["holder"] == "Мария Петрова"
    assert [row["serial"] for row in old.facts["rows"]] == [first_certificate.serial]
    # both stay downloadable, and listed
    assert client.get(f"/my/transcripts/{old.id}.pdf").data == old_pdf
    listing = client.get("/my/transcripts").get_data(as_text=True)
    assert old.verification_code in listing and new.verification_code in listing
    # the old one's page says what it stated, and that its certificate has been replaced
    html = client.get(f"/v/{old.verification_code}").get_data(as_text=True)
    assert first_certificate.serial in html and old_sha in html
    assert "Replaced since by a corrected certificate" in html
    assert newer_certificate.serial not in html


def test_the_language_is_the_profile_s_else_the_screen_s(client, auth, db, closed_run,
                                                          make_user):
    run, admin, (maria, tunde, _ivan) = closed_run()
    services.issue_certificate(maria, admin, TODAY)
    services.issue_certificate(tunde, admin, TODAY)
    maria.user.locale = "bg"
    tunde.user.locale = None
    db.session.commit()

    hungarian_screen = {"Accept-Language": "hu"}
    auth.login(maria.user)
    assert "Képzési igazolásaim" not in client.get("/my/transcripts",
                                                   headers=hungarian_screen).get_data(as_text=True)
    in_bulgarian = _issue(client, headers=hungarian_screen)
    assert in_bulgarian.language == "bg"
    assert "Справка за проведените обучения" in _text(in_bulgarian.pdf)
    auth.logout()

    auth.login(tunde.user)
    page = client.get("/my/transcripts", headers=hungarian_screen).get_data(as_text=True)
    assert "Az új igazolás nyelve: Magyar" in page
    in_hungarian = _issue(client, headers=hungarian_screen)
    assert in_hungarian.language == "hu"
    text = _text(in_hungarian.pdf)
    assert "Képzési igazolás" in text and "Szőke Tünde" in text
    assert services.transcript_language(tunde.user, "xx") == "en"


def test_nobody_else_downloads_a_transcript(client, auth, db, closed_run, make_user,
                                            make_centre):
    run, admin, (maria, *_rest) = closed_run()
    services.issue_certificate(maria, admin, TODAY)
    transcript = services.issue_transcript(maria.user, "en", utcnow(), TODAY)
    db.session.commit()
    url = f"/my/transcripts/{transcript.id}.pdf"
    scoped = make_user(role="admin")  # an administrator of the run's own centre
    scoped.centre_id = run.centre_id
    db.session.commit()
    for stranger in (make_user(), make_user(role="trainer"), scoped):
        auth.login(stranger)
        assert client.get(url).status_code == 404
        assert transcript.verification_code not in client.get("/my/transcripts").get_data(
            as_text=True)
        auth.logout()
    auth.login(make_user(role="admin"))  # a network administrator
    assert client.get(url).data == transcript.pdf
    assert client.get("/my/transcripts/99999.pdf").status_code == 404


def test_without_a_valid_certificate_nothing_is_issued(client, auth, db, make_user):
    user = make_user()
    auth.login(user)
    page = client.get("/my/transcripts").get_data(as_text=True)
    assert "You have no valid certificate yet" in page and "Issue a new transcript" not in page
    response = client.submit("/my/transcripts", follow_redirects=True)
    assert "You have no valid certificate yet" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Transcript)) == 0
    with pytest.raises(DomainError):
        services.issue_transcript(user, "en", utcnow(), TODAY)


def test_issuing_and_downloading_are_in_the_audit_log(client, auth, db, closed_run):
    """Both are entries, which the log names for a reader."""
    run, admin, (maria, *_rest) = closed_run()
    services.issue_certificate(maria, admin, TODAY)
    db.session.commit()
    auth.login(maria.user)
    transcript = _issue(client)
    client.get(f"/my/transcripts/{transcript.id}.pdf")
    entries = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.entity == "Transcript", AuditEntry.entity_id == transcript.id)
        .order_by(AuditEntry.seq)).all()
    assert [(e.action, e.actor_id) for e in entries] == [("create", maria.user.id),
                                                         ("event", maria.user.id)]
    assert entries[0].changes["pdf_sha256"][1] == transcript.pdf_sha256
    auth.logout()
    auth.login(admin)
    log = client.get("/manage/audit?entity=Transcript").get_data(as_text=True)
    assert "Transcript of Мария Петрова" in log and "Мария Петрова downloaded" in log


@pytest.mark.parametrize("code", ["x" * 65, "<script>alert(1)</script>", "' OR 1=1 --",
                                  "%E2%80%AE", "ÁÉŐŰ", "a" * 2000])
def test_hostile_codes_are_not_found(client, db, code):
    for prefix in ("/verify/", "/v/"):
        response = client.get(prefix + code)
        assert response.status_code == 404
        # a code with a slash is no verification address at all: the site's own 404
        said = ("There is no page at this address." if "/" in code
                else "No certificate or transcript has this verification code.")
        assert said in response.get_data(as_text=True)


def test_the_list_pages(client, auth, db, closed_run):
    run, admin, (maria, *_rest) = closed_run()
    services.issue_certificate(maria, admin, TODAY)
    codes = [services.issue_transcript(maria.user, "en", utcnow(), TODAY).verification_code
             for _ in range(3)]
    db.session.commit()
    auth.login(maria.user)
    first = client.get("/my/transcripts?per_page=2").get_data(as_text=True)
    second = client.get("/my/transcripts?per_page=2&page=2").get_data(as_text=True)
    assert codes[2] in first and codes[1] in first and codes[0] not in first
    assert codes[0] in second and re.search(r'rel="next"', first)
