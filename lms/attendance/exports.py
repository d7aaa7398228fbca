"""The attendance register of a run as CSV and XLSX: trainee × session, with totals."""

import io
from datetime import UTC, datetime

from flask import render_template
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from lms.attendance.models import AttendanceStatus
from lms.attendance.services import Register
from lms.exports import frozen_zip, safe_cell
from lms.i18n import gettext as _
from lms.i18n import speaking
from lms.pdf import render_pdf
from lms.templating import format_hours


def register_header(register: Register) -> list[str]:
    sessions = [f"{s.date.isoformat()} ({format_hours(s.hours)} h)" for s in register.sessions]
    return [_("Name"), _("Organisation"), *sessions, _("Hours attended"), _("Percent"),
            _("Completed")]


def _outcome(row) -> str:
    if row.met:
        return _("yes")
    return _("no") if not row.reachable else _("not yet")


def _hours(minutes: int) -> int | float:
    """6 rather than 6.0: whole hours stay whole numbers in the spreadsheet."""
    return minutes // 60 if minutes % 60 == 0 else round(minutes / 60, 2)


def _cell(mark) -> int | float | str:
    """A session's cell: the hours attended (a number), or "Excused", which counts no
    hours like an absence but is not one; empty while unmarked."""
    if mark is None:
        return ""
    if mark.status == AttendanceStatus.EXCUSED:
        return _("Excused")
    return _hours(mark.minutes)


def register_rows(register: Register) -> list[list]:
    rows = []
    for row in register.rows:
        cells = [_cell(row.cells.get(s.id)) for s in register.sessions]
        rows.append([safe_cell(row.enrolment.user.full_name),
                     safe_cell(row.enrolment.user.organisation), *cells,
                     _hours(row.attended), round(row.percent, 1), _outcome(row)])
    return rows


def register_xlsx(register: Register, frozen_at: datetime | None = None) -> bytes:
    """The register as a workbook; `frozen_at` dates it (and its parts) to that moment,
    so the same register gives the same bytes."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("Attendance register")[:31]
    sheet.append(register_header(register))
    for row in register_rows(register):
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "C2"
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 28
    for index in range(3, len(register.sessions) + 6):
        sheet.column_dimensions[get_column_letter(index)].width = 12
    out = io.BytesIO()
    if frozen_at is not None:
        book.properties.created = frozen_at.astimezone(UTC).replace(tzinfo=None)
    book.save(out)
    return out.getvalue() if frozen_at is None else frozen_zip(out.getvalue(), frozen_at)


def register_pdf(register: Register, corrected: set[int], signed: set[int],
                 trainers: dict[int, list]) -> bytes:
    """The register on A4 landscape pages, in the run's language and its centre's time:
    hours per trainee and session (marks corrected after closing flagged), totals,
    outcomes, and each session with its trainers and whether its signed sheet was
    uploaded."""
    run = register.run
    with speaking(run.language, run.zone):
        html = render_template("pdf/register.html", run=run, register=register,
                               corrected=corrected, signed=signed, trainers=trainers)
    return render_pdf(html)
