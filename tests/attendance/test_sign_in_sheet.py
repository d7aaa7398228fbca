"""The sign-in sheet PDF: every name readable, one page for 25, fonts embedded, nothing fetched."""

import io
from datetime import UTC, datetime, time, timedelta

import pytest
from pypdf import PdfReader

from lms.attendance.sign_in_sheet import render_sign_in_sheet
from lms.enrolment.services import enrol
from lms.pdf import STATIC_ORIGIN, RefusedURL, safe_url_fetcher
from tests.conftest import at

NAMES = ["Szőke Tünde", "Fűzi Anikó", "Lőrincz Ödön", "Мария Петрова", "Иван Георгиев"]


@pytest.fixture
def sheet(db, make_user, make_course, make_run):
    def build(count, names=()):
        run = make_run(
            capacity=60,
            course=make_course(
                total_hours=6,
                title="Pénzügyi tudatosság, háztartási költségvetés és adósságkezelés",
            ),
        )
        before = datetime.now(UTC) - timedelta(minutes=1)
        people = list(names) + [f"Résztvevő {n:02d}" for n in range(count - len(names))]
        enrolments = [
            enrol(
                make_user(
                    full_name=name, organisation="Család- és Gyermekjóléti Szolgálat, Kisújszállás"
                ),
                run,
                before,
            )
            for name in people
        ]
        trainer = make_user(role="trainer", full_name="Horváth Gábor")
        pdf = render_sign_in_sheet(run.sessions[0], enrolments, [trainer])
        return PdfReader(io.BytesIO(pdf))

    return build


def page_text(reader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def test_every_name_prints_including_hungarian_and_cyrillic_letters(sheet):
    reader = sheet(8, NAMES)
    content = page_text(reader)
    for name in NAMES:
        assert name in content
    assert "Pénzügyi tudatosság" in content and "Horváth Gábor" in content
    assert "Aláírás" in content  # printed in the run's language (Hungarian here)


def test_twenty_five_fit_on_one_page_and_more_flow_on(sheet):
    assert len(sheet(25).pages) == 1
    longer = sheet(45)
    assert len(longer.pages) == 2
    # the header (in the run's language) repeats
    assert all("Szervezet" in page.extract_text() for page in longer.pages)
    assert "Résztvevő 44" in longer.pages[1].extract_text()


def test_fonts_are_embedded(sheet):
    reader = sheet(3, NAMES[:3])
    fonts = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            descriptor = (descendants[0].get_object() if descendants else font)["/FontDescriptor"]
            fonts.append(descriptor.get_object())
    assert fonts and all("/FontFile2" in f or "/FontFile3" in f for f in fonts)


def test_hostile_names_print_literally(sheet):
    hostile = '<img src="file:///etc/passwd">'
    content = page_text(sheet(2, [hostile]))
    assert hostile in content.replace("\n", "")
    assert "root:x:0:0" not in content


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1/x.png",
        "https://example.org/a.png",
        STATIC_ORIGIN + "../lms/config.py",
        STATIC_ORIGIN + "fonts/../../setup.cfg",
        STATIC_ORIGIN + "no-such-file.css",
    ],
)
def test_the_renderer_fetches_nothing_but_static_files(app, url):
    with pytest.raises(RefusedURL):
        safe_url_fetcher()(url)


def test_static_files_and_data_urls_are_served(app):
    fetcher = safe_url_fetcher()
    font = fetcher(STATIC_ORIGIN + "fonts/DejaVuSans.ttf")
    assert font.read(4) == b"\x00\x01\x00\x00"
    assert fetcher("data:text/plain;base64,Zm9ycmFz").read() == b"forras"


def test_the_sheet_is_served_to_the_sessions_trainer(client, auth, db, make_user, make_run):
    from lms.trainers.models import TrainerRole
    from lms.trainers.services import assign_trainer

    run = make_run()
    trainer = make_user(role="trainer")
    assign_trainer(run, trainer, TrainerRole.LEAD)
    enrol(make_user(full_name="Lőrincz Ödön"), run, at(run.first_date, time(0)) - timedelta(days=5))
    db.session.commit()
    auth.login(trainer)
    response = client.get(f"/sessions/{run.sessions[0].id}/sign-in-sheet.pdf")
    assert response.mimetype == "application/pdf"
    assert "Lőrincz Ödön" in page_text(PdfReader(io.BytesIO(response.data)))
