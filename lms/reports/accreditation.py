"""The participant list of an accredited run, as the authority's report asks for it
(Hungary: continuing training of social professionals): the run's header (course,
accreditation number, points, organiser, centre, dates) and, per participant, the
name, the register number, the points earned and the completion, as XLSX and PDF."""

import io
from dataclasses import dataclass

import sqlalchemy as sa
from flask import render_template
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from sqlalchemy.orm import joinedload

from lms.certificates.models import CertificateStatus
from lms.certificates.services import run_certificates
from lms.courses.models import Run, RunStatus
from lms.enrolment.models import Enrolment, EnrolmentState, Outcome
from lms.enrolment.progress import progress_for
from lms.exports import safe_cell
from lms.extensions import db
from lms.i18n import gettext as _
from lms.i18n import speaking
from lms.pdf import render_pdf
from lms.templating import format_day

COMPLETED, NOT_COMPLETED, NOT_CLOSED = "completed", "not_completed", "not_closed"


@dataclass
class Participant:
    name: str
    register_number: str
    completion: str  # COMPLETED, NOT_COMPLETED or NOT_CLOSED (the run is still open)
    attended_minutes: int
    points: int
    serial: str  # of the valid certificate; "" when none

    @property
    def attended_hours(self) -> int | float:
        """6 rather than 6.0: whole hours stay whole numbers."""
        minutes = self.attended_minutes
        return minutes // 60 if minutes % 60 == 0 else round(minutes / 60, 2)


@dataclass
class AccreditationList:
    run: Run
    participants: list[Participant]

    @property
    def completed(self) -> int:
        return sum(p.completion == COMPLETED for p in self.participants)

    @property
    def points_awarded(self) -> int:
        return sum(p.points for p in self.participants)


def is_accredited(run: Run) -> bool:
    return bool(run.course.accreditation_number)


def accreditation_list(run: Run) -> AccreditationList:
    """Every trainee with a place in the run, in name order. The register number is the
    one frozen on the valid certificate, else the one on the profile today; points are
    the course's for a completion, else 0."""
    enrolments = db.session.scalars(
        sa.select(Enrolment)
        .where(Enrolment.run_id == run.id, Enrolment.state == EnrolmentState.ENROLLED)
        .options(joinedload(Enrolment.user))
    ).all()
    progress = progress_for(list(enrolments))
    certificates = run_certificates(run)
    closed = run.status == RunStatus.CLOSED
    points = run.course.credit_points or 0
    participants = []
    for enrolment in sorted(enrolments, key=lambda e: (e.user.full_name.casefold(), e.id)):
        valid = next((c for c in certificates.get(enrolment.id, ())
                      if c.status == CertificateStatus.VALID), None)
        completion = (NOT_CLOSED if not closed
                      else COMPLETED if enrolment.outcome == Outcome.COMPLETED
                      else NOT_COMPLETED)
        number = (valid.facts.get("holder_register_number") if valid is not None else None)
        participants.append(Participant(
            name=enrolment.user.full_name,
            register_number=number if number is not None else enrolment.user.register_number,
            completion=completion,
            attended_minutes=progress[enrolment.id].attended,
            points=points if completion == COMPLETED else 0,
            serial=valid.serial if valid is not None else "",
        ))
    return AccreditationList(run, participants)


def completion_label(completion: str) -> str:
    return {COMPLETED: _("Completed"), NOT_COMPLETED: _("Not completed"),
            NOT_CLOSED: _("Run not closed yet")}[completion]


def header_rows(data: AccreditationList) -> list[tuple[str, object]]:
    run = data.run
    course, centre = run.course, run.centre
    dates = (f"{format_day(run.first_date)} – {format_day(run.last_date)}"
             if run.sessions else "–")
    return [
        (_("Course"), f"{course.title} ({course.code})"),
        (_("Accreditation number"), course.accreditation_number),
        (_("Points"), course.credit_points if course.credit_points is not None else "–"),
        (_("Hours"), course.total_hours),
        (_("Organiser"), centre.organisation or centre.name),
        (_("Centre"), f"{centre.name}, {centre.city}"),
        (_("Venue"), run.venue or "–"),
        (_("Dates"), dates),
        (_("Participants"), len(data.participants)),
        (_("Completed"), data.completed),
    ]


def participant_header() -> list[str]:
    return [_("Name"), _("Registration number (operational register)"), _("Points"),
            _("Completion"), _("Hours attended"), _("Certificate")]


def participant_rows(data: AccreditationList) -> list[list]:
    return [[safe_cell(p.name), safe_cell(p.register_number), p.points,
             completion_label(p.completion), p.attended_hours, p.serial]
            for p in data.participants]


def accreditation_xlsx(data: AccreditationList) -> bytes:
    """One sheet: the run's header, a blank row, then a row per participant."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("Participants")[:31]
    for label, value in header_rows(data):
        sheet.append([label, safe_cell(value)])
        sheet.cell(sheet.max_row, 1).font = Font(bold=True)
    sheet.append([])
    sheet.append(participant_header())
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in participant_rows(data):
        sheet.append(row)
    for column, width in zip("ABCDEF", (34, 26, 10, 20, 12, 18), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def accreditation_pdf(data: AccreditationList) -> bytes:
    """The list on A4 pages, in the run's language and its centre's time."""
    run = data.run
    with speaking(run.language, run.zone):
        html = render_template("pdf/accreditation_list.html", run=run, data=data,
                               header=header_rows(data), label=completion_label)
    return render_pdf(html)
