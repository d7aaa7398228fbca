from decimal import Decimal, InvalidOperation

from flask_wtf.file import FileField, FileRequired
from wtforms import TextAreaField
from wtforms.validators import Length

from lms.attendance.models import AttendanceStatus
from lms.attendance.services import MarkInput
from lms.formtools import Form, has_control_characters
from lms.i18n import gettext as _
from lms.i18n import lazy_gettext as _l


class MarkSessionForm(Form):
    """The register of one session. The per-trainee rows are read by `rows()`:
    `status-<id>`, `hours-<id>` (late / left early) and `note-<id>`."""

    reason = TextAreaField(_l("Reason for the correction"), validators=[Length(max=1000)])

    def rows(self, formdata, enrolment_ids) -> tuple[list[MarkInput], dict[int, str]]:
        """The marks on the form and, per trainee, what is wrong with their row."""
        items, errors = [], {}
        for enrolment_id in enrolment_ids:
            raw_status = formdata.get(f"status-{enrolment_id}", "")
            if not raw_status:
                continue  # left unmarked
            try:
                status = AttendanceStatus(raw_status)
            except ValueError:
                errors[enrolment_id] = _("Choose one of the listed options.")
                continue
            minutes = None
            if status in (AttendanceStatus.LATE, AttendanceStatus.LEFT_EARLY):
                raw_hours = formdata.get(f"hours-{enrolment_id}", "").strip().replace(",", ".")
                try:
                    minutes = int(Decimal(raw_hours) * 60) if raw_hours else None
                    if raw_hours and Decimal(raw_hours) * 60 % 15:
                        raise InvalidOperation
                except (InvalidOperation, ValueError):
                    errors[enrolment_id] = _("Give the hours in quarter hours, like 2.5.")
                    continue
                if minutes is None:
                    errors[enrolment_id] = _("Give the hours attended.")
                    continue
            note = formdata.get(f"note-{enrolment_id}", "")
            if len(note) > 500 or has_control_characters(note):
                errors[enrolment_id] = _("Keep the note under 500 characters, without "
                                         "control characters.")
                continue
            items.append(MarkInput(enrolment_id, status, minutes, note))
        return items, errors


class SignedSheetForm(Form):
    """The scan of a session's signed sign-in sheet; replacing one needs a reason."""

    sheet = FileField(_l("Signed sign-in sheet (PDF, JPEG or PNG)"),
                      validators=[FileRequired(_l("Choose the scan of the signed sheet."))])
    reason = TextAreaField(_l("Why it is replaced"), validators=[Length(max=1000)])
