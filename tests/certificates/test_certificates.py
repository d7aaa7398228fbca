import io
import json
from datetime import date

import pytest
import sqlalchemy as sa
from babel.dates import format_date
from pypdf import PdfReader

from lms.audit.models import AuditEntry
from lms.certificates import services
from lms.certificates.models import CertificateStatus
from lms.errors import DomainError

TODAY = date.today()


def test_issue_all_follows_the_threshold_and_is_idempotent(db, closed_run):
    run, admin, (maria, tunde, ivan) = closed_run()
    issued = services.issue_all(run, admin, TODAY)
    db.session.commit()
    assert sorted(c.facts["holder"] for c in issued) == ["Szőke Tünde", "Мария Петрова"]
    assert [c.serial for c in sorted(issued, key=lambda c: c.sequence)] == [
        f"RAZ-{TODAY.year}-0001", f"RAZ-{TODAY.year}-0002"]
    assert services.issue_all(run, admin, TODAY) == []
    with pytest.raises(DomainError) as refused:
        services.issue_certificate(ivan, admin, TODAY)
    assert "3.6 hours are missing" in refused.value.message  # 21.6 needed, 18 attended


def test_codes_are_random_and_the_pdf_is_frozen(db, closed_run):
    run, admin, (maria, *_rest) = closed_run()
    certificate = services.issue_certificate(maria, admin, TODAY)
    db.session.commit()
    assert len(certificate.verification_code) >= 20
    issued_pdf = certificate.pdf
    maria.user.full_name = "Changed Later"
    db.session.commit()
    assert certificate.pdf == issued_pdf and certificate.facts["holder"] == "Мария Петрова"


def test_the_pdf_is_archival_and_carries_its_facts(db, closed_run):
    run, admin, (maria, tunde, _ivan) = closed_run()
    for enrolment, name in ((maria, "Мария Петрова"), (tunde, "Szőke Tünde")):
        certificate = services.issue_certificate(enrolment, admin, TODAY)
        reader = PdfReader(io.BytesIO(certificate.pdf))
        text = reader.pages[0].extract_text()
        assert name in text and certificate.serial in text and "24" in text
        assert "Удостоверение".upper() in text.upper()
        attachments = reader.attachments
        facts = json.loads(attachments["certificate.json"][0])
        assert facts["holder"] == name and facts["serial"] == certificate.serial
        xmp = reader.xmp_metadata
        assert xmp is not None
        assert "pdfaid" in reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
        fonts = [f.get_object() for page in reader.pages
                 for f in page["/Resources"]["/Font"].values()]
        for font in fonts:
            descendant = font.get("/DescendantFonts")
            descriptor = (descendant[0].get_object() if descendant else font)["/FontDescriptor"]
            embedded = descriptor.get_object()
            assert "/FontFile2" in embedded or "/FontFile3" in embedded


def test_the_pdf_declares_its_title_and_language(db, closed_run):
    run, admin, (maria, *_rest) = closed_run()
    certificate = services.issue_certificate(maria, admin, TODAY)
    reader = PdfReader(io.BytesIO(certificate.pdf))
    assert reader.metadata.title == f"{certificate.serial} – Мария Петрова"
    assert reader.trailer["/Root"]["/Lang"] == "bg"


def test_razgrad_names_the_association_above_the_centre(db, closed_run):
    run, admin, (maria, *_rest) = closed_run()
    run.centre.organisation = "Сдружение „Подкрепа за детето“"
    db.session.commit()
    text = PdfReader(io.BytesIO(services.issue_certificate(maria, admin, TODAY).pdf)
                     ).pages[0].extract_text()
    assert text.index("Сдружение „Подкрепа за детето“") < text.index(run.centre.name)
    assert f"„Подкрепа за детето“\n{run.centre.name}\n" in text  # each on its own line
    assert "Рег. №" not in text or run.registration_number in text


@pytest.mark.parametrize("bilingual", [True, False])
def test_default_style_adds_english_only_when_bilingual(db, closed_run, bilingual):
    run, admin, (maria, *_rest) = closed_run(style="default", language="bg")
    run.certificate_bilingual = bilingual
    db.session.commit()
    certificate = services.issue_certificate(maria, admin, TODAY)
    text = PdfReader(io.BytesIO(certificate.pdf)).pages[0].extract_text()
    assert ("This is to certify that" in text) is bilingual
    assert certificate.facts["bilingual"] is bilingual
    # The English line gives the dates in English, the Bulgarian line in Bulgarian.
    last_day = date.fromisoformat(certificate.facts["last_day"])
    assert (format_date(last_day, "long", locale="en") in text) is bilingual  # November 20, 2026
    assert format_date(last_day, "long", locale="bg") in text  # 20 ноември 2026 г.


@pytest.mark.parametrize("style, language, title", [
    ("default", "en", "CERTIFICATE OF ATTENDANCE"),
    ("tanusitvany", "hu", "TANÚSÍTVÁNY"),
    ("razgrad", "bg", "УДОСТОВЕРЕНИЕ"),
])
def test_each_style_prints_its_own_title(db, closed_run, style, language, title):
    run, admin, (first, *_rest) = closed_run(style=style, language=language)
    certificate = services.issue_certificate(first, admin, TODAY)
    text = PdfReader(io.BytesIO(certificate.pdf)).pages[0].extract_text()
    assert title in text.upper()


def test_hostile_name_prints_literally(db, closed_run):
    hostile = '<img src="file:///etc/passwd">'
    run, admin, (holder, *_rest) = closed_run(names=(hostile, "Szőke Tünde", "Иван Георгиев"))
    certificate = services.issue_certificate(holder, admin, TODAY)
    text = PdfReader(io.BytesIO(certificate.pdf)).pages[0].extract_text().replace("\n", "")
    assert hostile in text and "root:x" not in text


def test_revoke_then_reissue_supersedes(db, closed_run):
    run, admin, (maria, *_rest) = closed_run()
    old = services.issue_certificate(maria, admin, TODAY)
    with pytest.raises(DomainError):
        services.reissue(old, admin, TODAY)  # revoke first
    with pytest.raises(DomainError) as refused:
        services.revoke(old, admin, "")
    assert refused.value.field == "reason"
    services.revoke(old, admin, "Elírt név")
    new = services.reissue(old, admin, TODAY)
    db.session.commit()
    assert old.status == CertificateStatus.SUPERSEDED and old.revoke_reason == "Elírt név"
    assert new.supersedes == old and new.serial != old.serial
    assert new.status == CertificateStatus.VALID


def test_serials_count_per_centre_and_year(db, closed_run):
    run, admin, enrolments = closed_run()
    first = services.issue_certificate(enrolments[0], admin, date(2026, 12, 31))
    second = services.issue_certificate(enrolments[1], admin, date(2027, 1, 2))
    assert (first.serial, second.serial) == ("RAZ-2026-0001", "RAZ-2027-0001")


def test_verification_page_states(client, db, closed_run):
    run, admin, (maria, *_rest) = closed_run()
    certificate = services.issue_certificate(maria, admin, TODAY)
    db.session.commit()
    html = client.get(f"/verify/{certificate.verification_code}").get_data(as_text=True)
    assert "Valid" in html and "Мария Петрова" in html and certificate.pdf_sha256 in html
    services.revoke(certificate, admin, "Hibás adatok")
    db.session.commit()
    html = client.get(f"/v/{certificate.verification_code}").get_data(as_text=True)
    assert "Revoked" in html and "Hibás adatok" in html
    new = services.reissue(certificate, admin, TODAY)
    db.session.commit()
    html = client.get(f"/verify/{certificate.verification_code}").get_data(as_text=True)
    assert "Superseded" in html and new.serial in html
    wrong = client.get(f"/verify/{certificate.verification_code[:-1]}x")
    assert wrong.status_code == 404
    assert "No certificate or transcript has this verification code." in wrong.get_data(
        as_text=True)
    assert "Мария" not in wrong.get_data(as_text=True)


def test_verification_is_rate_limited(client, db, closed_run):
    run, admin, (maria, *_rest) = closed_run()
    code = services.issue_certificate(maria, admin, TODAY).verification_code
    db.session.commit()
    statuses = [client.get(f"/verify/{code}").status_code for _ in range(31)]
    assert statuses[:30] == [200] * 30 and statuses[30] == 429


def test_trainee_downloads_own_certificates_only(client, auth, db, closed_run):
    run, admin, (maria, tunde, _ivan) = closed_run()
    own = services.issue_certificate(maria, admin, TODAY)
    other = services.issue_certificate(tunde, admin, TODAY)
    db.session.commit()
    auth.login(maria.user)
    assert client.get(f"/certificates/{own.id}.pdf").data == own.pdf
    assert client.get(f"/certificates/{other.id}.pdf").status_code == 404
    html = client.get("/my/").get_data(as_text=True)
    assert own.serial in html and other.serial not in html


def test_issue_all_first_says_what_it_will_do_in_numbers(client, auth, db, closed_run):
    run, admin, (maria, tunde, ivan) = closed_run()
    services.issue_certificate(tunde, admin, TODAY)
    db.session.commit()
    auth.login(admin)
    page = f"/manage/runs/{run.id}/certificates"
    assert f'href="{page}/issue-all"' in client.get(page).get_data(as_text=True)
    confirm = client.get(f"{page}/issue-all").get_data(as_text=True)
    assert f"1 certificate is issued now, serial RAZ-{TODAY.year}-0002." in confirm
    assert "1 trainee already holds a valid certificate and gets no new one." in confirm
    assert "1 trainee did not complete the run and gets none." in confirm
    assert "<li>Мария Петрова</li>" in confirm and "<li>Szőke Tünde</li>" not in confirm
    assert services.valid_certificate(maria) is None  # looking changes nothing
    client.submit(f"{page}/issue-all", page=f"{page}/issue-all")
    assert services.valid_certificate(maria).serial == f"RAZ-{TODAY.year}-0002"
    done = client.get(f"{page}/issue-all").get_data(as_text=True)
    assert "Everyone who completed the run already has a certificate." in done
    assert f'action="{page}/issue-all"' not in done


def test_bulk_print_is_one_pdf_in_roster_order(client, auth, db, closed_run):
    run, admin, _enrolments = closed_run()
    services.issue_all(run, admin, TODAY)
    db.session.commit()
    auth.login(admin)
    reader = PdfReader(io.BytesIO(client.get(f"/manage/runs/{run.id}/certificates.pdf").data))
    texts = [page.extract_text() for page in reader.pages]
    assert len(texts) == 2
    assert "Szőke Tünde" in texts[0] and "Мария Петрова" in texts[1]


def test_bulk_print_pages_are_the_valid_certificates_as_issued(client, auth, db, closed_run):
    run, admin, (maria, tunde, _ivan) = closed_run()
    first = {c.facts["holder"]: c for c in services.issue_all(run, admin, TODAY)}
    services.revoke(first["Szőke Tünde"], admin, "Elírt név")
    again = services.reissue(first["Szőke Tünde"], admin, TODAY)
    db.session.commit()
    auth.login(admin)
    reader = PdfReader(io.BytesIO(client.get(f"/manage/runs/{run.id}/certificates.pdf").data))
    texts = [page.extract_text() for page in reader.pages]
    # the reissued certificate replaces the revoked one; each page is the stored PDF's page
    assert len(texts) == 2
    assert again.serial in texts[0] and first["Szőke Tünde"].serial not in "".join(texts)
    issued = [again, first["Мария Петрова"]]
    assert texts == [PdfReader(io.BytesIO(c.pdf)).pages[0].extract_text() for c in issued]


def test_revoking_first_says_what_it_changes_then_asks_the_reason(client, auth, db, closed_run):
    run, admin, (maria, _tunde, _ivan) = closed_run()
    certificate = services.issue_certificate(maria, admin, TODAY)
    db.session.commit()
    auth.login(admin)
    page = f"/manage/certificates/{certificate.id}/revoke"
    listing = client.get(f"/manage/runs/{run.id}/certificates").get_data(as_text=True)
    assert f'href="{page}"' in listing
    confirm = client.get(page).get_data(as_text=True)
    assert f"The certificate {certificate.serial} of Мария Петрова becomes revoked" in confirm
    assert 'name="reason"' in confirm
    refused = client.submit(page, {"reason": ""}, page=page).get_data(as_text=True)
    assert 'id="reason-error"' in refused
    db.session.refresh(certificate)
    assert certificate.status == CertificateStatus.VALID  # looking and a missing reason: no change
    done = client.submit(page, {"reason": "Elírt név"}, page=page, follow_redirects=True)
    assert "You can now reissue it with a new serial." in done.get_data(as_text=True)
    db.session.refresh(certificate)
    assert certificate.status == CertificateStatus.REVOKED
    assert "Only a valid certificate can be revoked." in client.get(page).get_data(as_text=True)


def test_reissuing_first_says_the_new_serial_and_what_becomes_of_the_old(
        client, auth, db, make_user, closed_run):
    run, admin, (maria, _tunde, _ivan) = closed_run()
    old = services.issue_certificate(maria, admin, TODAY)
    db.session.commit()
    page = f"/manage/certificates/{old.id}/reissue"
    auth.login(admin)
    assert "Revoke the certificate first" in client.get(page).get_data(as_text=True)
    services.revoke(old, admin, "Elírt név")
    db.session.commit()
    listing = client.get(f"/manage/runs/{run.id}/certificates").get_data(as_text=True)
    assert f'href="{page}"' in listing
    confirm = client.get(page).get_data(as_text=True)
    assert f"Мария Петрова gets a new certificate, serial RAZ-{TODAY.year}-0002" in confirm
    assert f"The revoked certificate {old.serial} becomes superseded" in confirm
    assert services.valid_certificate(maria) is None  # looking changes nothing
    client.submit(page, page=page)
    db.session.refresh(old)
    assert old.status == CertificateStatus.SUPERSEDED
    assert services.valid_certificate(maria).serial == f"RAZ-{TODAY.year}-0002"
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(
        AuditEntry.entity == "Certificate", AuditEntry.action == "create",
        AuditEntry.endpoint == "certificates.reissue", AuditEntry.actor_id == admin.id)) == 1
    auth.logout()
    auth.login(maria.user)
    assert client.get(page).status_code == 403
