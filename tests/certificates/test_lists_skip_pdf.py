"""Pages that list certificates never read the PDF bytes they do not show."""

import re
from datetime import date

from lms.certificates.models import Certificate
from lms.certificates.services import reissue, revoke

PDF_COLUMN = re.compile(r"\bcertificate(_\d+)?\.pdf\b")


def test_certificate_lists_and_verification_leave_the_pdf_bytes_unread(
        db, client, auth, certificate_world, query_counter):
    users, ids = certificate_world["users"], certificate_world["ids"]
    old = db.session.get(Certificate, ids["certificate_id"])
    revoke(old, users["admin"], "Misspelt name")
    new = reissue(old, users["admin"], date.today())
    db.session.commit()

    def statements(url: str, marker: str) -> list[str]:
        with query_counter() as seen:
            response = client.get(url)
        assert response.status_code == 200 and marker in response.get_data(as_text=True)
        return [s for s in seen if "certificate" in s]

    # The superseded certificate's page names its replacement, through the new index.
    read = statements(f"/verify/{old.verification_code}", new.serial)
    assert read and not any(PDF_COLUMN.search(s) for s in read)
    auth.login(users["admin"])
    read = statements(f"/manage/runs/{ids['closed_run_id']}/certificates", new.serial)
    assert read and not any(PDF_COLUMN.search(s) for s in read)
    auth.logout()
    auth.login(users["trainee"])
    read = statements("/my/", new.serial)
    assert read and not any(PDF_COLUMN.search(s) for s in read)
    # The download still gives the bytes as issued.
    download = client.get(f"/certificates/{new.id}.pdf")
    assert download.data == new.pdf
