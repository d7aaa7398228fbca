"""Issue all on every core: the same certificates, byte for byte, as one process makes."""

import io
from datetime import date

from pypdf import PdfReader

from lms.certificates import render_pool, services
from lms.certificates.rendering import render_certificate

TODAY = date.today()
NAMES = ("Мария Петрова", "Szőke Tünde", "Иван Георгиев") + tuple(
    f"Résztvevő {n:02d}" for n in range(1, 10))


def test_issue_all_renders_in_worker_processes_the_same_pdfs(app, db, closed_run):
    app.config["CERTIFICATE_RENDER_PROCESSES"] = 2
    run, admin, _enrolments = closed_run(names=NAMES)
    batches = render_pool.batches_in_workers
    issued = services.issue_all(run, admin, TODAY)
    assert render_pool.batches_in_workers == batches + 1  # the workers rendered them
    db.session.commit()
    # Иван Георгиев attended 18 of 24 hours: no certificate; the other eleven have one each.
    assert sorted(c.facts["holder"] for c in issued) == sorted(set(NAMES) - {"Иван Георгиев"})
    assert sorted(c.sequence for c in issued) == list(range(1, 12))
    for certificate in issued:
        assert certificate.pdf == render_certificate(certificate.facts)
        text = PdfReader(io.BytesIO(certificate.pdf)).pages[0].extract_text()
        assert certificate.facts["holder"] in text and certificate.serial in text


def test_few_certificates_or_one_process_render_in_the_request(app, db, closed_run):
    app.config["CERTIFICATE_RENDER_PROCESSES"] = 1
    run, admin, _enrolments = closed_run(names=NAMES)
    batches = render_pool.batches_in_workers
    issued = services.issue_all(run, admin, TODAY)
    assert render_pool.batches_in_workers == batches
    assert len(issued) == 11
    assert all(c.pdf == render_certificate(c.facts) for c in issued)
