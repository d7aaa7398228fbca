"""Trainers mark attendance; staff see registers, sign-in sheets and close runs."""

import sqlalchemy as sa
from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from lms.attendance import bp, services
from lms.attendance.exports import register_header, register_pdf, register_rows, register_xlsx
from lms.attendance.forms import MarkSessionForm, SignedSheetForm
from lms.attendance.models import AttendanceStatus
from lms.attendance.permissions import can_mark, can_see_register
from lms.attendance.sign_in_sheet import render_sign_in_sheet
from lms.attendance.trainer_runs import trainer_runs
from lms.attendance.trainer_sessions import trainer_sessions
from lms.audit.services import DOWNLOAD, EXPORT, record_access, record_event
from lms.auth.permissions import is_admin, is_trainer, require
from lms.clock import utcnow
from lms.courses.forms import ConfirmForm
from lms.courses.models import Run, RunStatus, Session
from lms.enrolment.queries import people_of_run
from lms.errors import DomainError
from lms.evidence import services as evidence
from lms.evidence.models import SignedSheet
from lms.exports import csv_download
from lms.extensions import db
from lms.i18n import gettext as _
from lms.i18n import ngettext
from lms.pipeline import perform
from lms.templating import format_hours
from lms.trainers.models import TrainerAssignment
from lms.trainers.services import (
    trainers_by_session,
    trainers_of_session,
)


def _session_for_marking(session_id: int) -> tuple[Session, list[TrainerAssignment] | None]:
    """The session with its run, course and centre, and its trainer assignments when the
    check needed them (a trainer's request): read once, for the check and the page."""
    session = db.session.scalar(
        sa.select(Session)
        .where(Session.id == session_id)
        .options(joinedload(Session.run).joinedload(Run.course),
                 joinedload(Session.run).joinedload(Run.centre))
    )
    if session is None:
        abort(404)
    trainers = None if is_admin(current_user) else trainers_of_session(session)
    if not can_mark(current_user, session, trainers):
        abort(403)
    return session, trainers


def _trainers(session: Session, known: list[TrainerAssignment] | None) -> list[TrainerAssignment]:
    return known if known is not None else trainers_of_session(session)


def _page_number(name: str = "page") -> int:
    """The page asked for; anything but a plain positive number is the first page (one
    past the last is the last, clamped where the pages are counted)."""
    value = request.args.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else 1


@bp.route("/trainer/sessions")
@require(is_trainer)
def my_sessions():
    """Today and upcoming sessions first, then the past ones a page at a time (all, still
    to mark, or without a signed sheet), flagged."""
    now = utcnow()
    view = trainer_sessions(current_user, now, _page_number(), request.args.get("show", ""),
                            _page_number("ahead"))
    return render_template("attendance/my_sessions.html", view=view, now=now)


@bp.route("/trainer/runs")
@require(is_trainer)
def my_runs():
    """The runs the trainer teaches, current first, then past ones a page at a time:
    sessions marked and left to mark, signed sheets missing, each trainee's hours."""
    now = utcnow()
    view = trainer_runs(current_user, now, _page_number())
    return render_template("attendance/my_runs.html", view=view, now=now)


@bp.route("/sessions/<int:session_id>/attendance", methods=["GET", "POST"])
@login_required
def mark(session_id: int):
    session, trainers = _session_for_marking(session_id)
    now = utcnow()
    roster = services.session_roster(session)
    form = MarkSessionForm()
    row_errors: dict[int, str] = {}
    if form.validate_on_submit():
        items, row_errors = form.rows(request.form, [e.id for e in roster])
        if not row_errors:
            done = perform(
                lambda: services.mark_session(
                    session, items, current_user, now, form.reason.data or ""
                ),
                explain=lambda error: _attach(error, form, row_errors),
            )
            if done:
                flash(
                    _("Attendance saved: %(count)d marks changed.", count=len(done.value)),
                    "success",
                )
                return redirect(url_for("attendance.mark", session_id=session.id))
    return _mark_page(session, form, row_errors, SignedSheetForm(),
                      posted=request.method == "POST", roster=roster, trainers=trainers)


def _mark_page(session: Session, form: MarkSessionForm, row_errors: dict[int, str],
               sheet_form: SignedSheetForm, posted: bool, roster=None, trainers=None):
    """The session's register with its signed-sheet section (after either form)."""
    now = utcnow()
    if roster is None:
        roster = services.session_roster(session)
    marks = services.marks_of(session)
    if posted:  # show what was sent, with its errors
        chosen = {e.id: request.form.get(f"status-{e.id}", "") for e in roster}
        hours = {e.id: request.form.get(f"hours-{e.id}", "") for e in roster}
        notes = {e.id: request.form.get(f"note-{e.id}", "") for e in roster}
    else:
        all_present = request.args.get("all") == "present"
        chosen = {
            e.id: (
                AttendanceStatus.PRESENT.value
                if all_present
                else (marks[e.id].status.value if e.id in marks else "")
            )
            for e in roster
        }
        hours = {
            e.id: (
                marks[e.id].minutes / 60
                if e.id in marks and marks[e.id].status in services.PARTIAL
                else ""
            )
            for e in roster
        }
        notes = {e.id: marks[e.id].note if e.id in marks else "" for e in roster}
    return render_template(
        "attendance/mark.html",
        session=session,
        run=session.run,
        roster=roster,
        form=form,
        marks=marks,
        chosen=chosen,
        hours=hours,
        notes=notes,
        row_errors=row_errors,
        locked=services.is_locked(session, now),
        lock_date=services.lock_date(session),
        future=not services.has_begun(session, now),
        trainers=_trainers(session, trainers),
        statuses=status_labels(),
        sheet_form=sheet_form,
        sheets=evidence.sheets_of(session),
        now=now,
    )


def _attach(error: DomainError, form: MarkSessionForm, row_errors: dict[int, str]) -> None:
    if error.field and error.field.startswith("minutes-"):
        row_errors[int(error.field.split("-")[1])] = error.message
    elif error.field == "reason":
        form.reason.errors = [*form.reason.errors, error.message]
    else:
        form.form_errors.append(error.message)


def status_labels() -> dict[str, str]:
    return {
        AttendanceStatus.PRESENT.value: _("Present"),
        AttendanceStatus.LATE.value: _("Late"),
        AttendanceStatus.LEFT_EARLY.value: _("Left early"),
        AttendanceStatus.EXCUSED.value: _("Excused"),
        AttendanceStatus.ABSENT.value: _("Absent"),
    }


@bp.route("/sessions/<int:session_id>/attendance/history")
@login_required
def session_history(session_id: int):
    session, _known = _session_for_marking(session_id)
    return render_template(
        "attendance/history.html",
        session=session,
        run=session.run,
        changes=services.history(session),
        statuses=status_labels(),
    )


@bp.route("/sessions/<int:session_id>/sign-in-sheet.pdf")
@login_required
def sign_in_sheet(session_id: int):
    session, trainers = _session_for_marking(session_id)
    filename = f"sign-in-{session.run.course.code}-{session.date.isoformat()}.pdf"
    pdf = render_sign_in_sheet(
        session, services.session_roster(session),
        [a.trainer for a in _trainers(session, trainers)],
    )
    # Recorded once the sheet is made: the commit leaves every object loaded for it stale.
    recorded_id = session.id
    perform(lambda: record_event(DOWNLOAD, "Session", recorded_id, filename))
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


@bp.route("/sessions/<int:session_id>/signed-sheet", methods=["POST"])
@login_required
def upload_signed_sheet(session_id: int):
    session, trainers = _session_for_marking(session_id)
    form = SignedSheetForm()
    if form.validate_on_submit():
        upload = form.sheet.data
        # One byte past the limit is enough to tell the file is too large.
        data = upload.read(current_app.config["SIGNED_SHEET_MAX_BYTES"] + 1)
        done = perform(
            lambda: evidence.upload_signed_sheet(
                session, data, upload.filename or "", current_user, utcnow(),
                form.reason.data or "",
            ),
            form=form,
        )
        if done:
            flash(_("The signed sign-in sheet is saved."), "success")
            return redirect(url_for("attendance.mark", session_id=session.id) + "#sheet-heading")
    response = _mark_page(session, MarkSessionForm(formdata=None), {}, form, posted=False,
                          trainers=trainers)
    return response, 400


@bp.route("/sessions/<int:session_id>/signed-sheets/<int:sheet_id>")
@login_required
def signed_sheet(session_id: int, sheet_id: int):
    session, _known = _session_for_marking(session_id)
    sheet = db.get_or_404(SignedSheet, sheet_id)
    if sheet.session_id != session.id:
        abort(404)
    extension = evidence.EXTENSIONS[sheet.media_type]
    filename = (f"signed-sheet-{session.run.course.code}-{session.date.isoformat()}"
                f"-{sheet.id}.{extension}")
    try:
        data = evidence.blob_bytes(sheet.blob)
    except FileNotFoundError:
        # Evidence gone from SIGNED_SHEET_DIR: a matter for whoever keeps the backups.
        current_app.logger.error("signed sheet %s: file %s is missing from storage",
                                 sheet.id, sheet.blob_sha256)
        abort(404)
    perform(lambda: record_event(DOWNLOAD, "SignedSheet", sheet.id, filename,
                                 details={"sha256": sheet.blob_sha256}))
    # Always a download of a type Forrás checked, never rendered as the browser guesses.
    response = Response(data, mimetype=sheet.media_type)
    response.headers.set("Content-Disposition", "attachment", filename=filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _run_for_register(run_id: int) -> Run:
    run = db.session.scalar(
        sa.select(Run)
        .where(Run.id == run_id)
        .options(joinedload(Run.course), joinedload(Run.centre))
    )
    if run is None:
        abort(404)
    if not can_see_register(current_user, run):
        abort(403)
    return run


@bp.route("/runs/<int:run_id>/register")
@login_required
def run_register(run_id: int):
    run = _run_for_register(run_id)
    register = services.register(run)
    return render_template(
        "attendance/register.html",
        run=run,
        register=register,
        missing=evidence.sessions_missing_sheet(register.sessions, utcnow()),
        confirm_form=ConfirmForm(),
        statuses=status_labels(),
    )


@bp.route("/runs/<int:run_id>/register.csv", defaults={"fmt": "csv"})
@bp.route("/runs/<int:run_id>/register.xlsx", defaults={"fmt": "xlsx"})
@bp.route("/runs/<int:run_id>/register.pdf", defaults={"fmt": "pdf"})
@login_required
def register_export(run_id: int, fmt: str):
    run = _run_for_register(run_id)
    name = f"register-{run.course.code}-{run.id}"
    perform(lambda: (record_event(EXPORT, "Run", run.id, f"{name}.{fmt}"),
                     record_access(people_of_run(run.id), f"{name}.{fmt}", "Run", run.id)))
    data = services.register(run)
    if fmt == "csv":
        return csv_download(f"{name}.csv", register_header(data), register_rows(data))
    if fmt == "pdf":
        pdf = register_pdf(data, services.corrected_after_closing(run),
                           evidence.sessions_with_sheet(s.id for s in data.sessions),
                           trainers_by_session(run, data.sessions))
        return Response(pdf, mimetype="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{name}.pdf"'})
    return Response(
        register_xlsx(data),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
    )


def _close_preview(run: Run) -> dict:
    """What closing the run will do, in numbers, for the page that asks to confirm it."""
    data = services.register(run)
    completing = [row for row in data.rows if row.met]
    not_completing = [row for row in data.rows if not row.met]
    total = len(data.rows)
    effects = [
        ngettext("%(completed)d of %(num)d trainee completes the run: attended at least "
                 "%(pct)d%% of its %(hours)s hours.",
                 "%(completed)d of %(num)d trainees complete the run: attended at least "
                 "%(pct)d%% of its %(hours)s hours.", total, completed=len(completing),
                 pct=run.min_attendance_pct, hours=format_hours(run.course.total_hours)),
        ngettext("%(num)d trainee does not complete it and gets no certificate.",
                 "%(num)d trainees do not complete it and get no certificate.",
                 len(not_completing)),
        _("The marks lock: from then on only an administrator can correct them, giving a "
          "reason, and each correction is listed in the register."),
        ngettext("A certificate can then be issued to %(num)d trainee.",
                 "Certificates can then be issued to %(num)d trainees.", len(completing)),
    ]
    missing_sheets = evidence.sessions_missing_sheet(data.sessions, utcnow())
    warnings = [evidence.missing_sheets_message(len(missing_sheets))] if missing_sheets else []
    unmarked = sum(len(data.sessions) - len(row.cells) for row in data.rows)
    blocked = None
    if run.status != RunStatus.PUBLISHED:
        blocked = _("Only a published run can be closed.")
    elif not data.sessions or unmarked:
        blocked = ngettext("%(num)d attendance mark is still missing; mark every session first.",
                           "%(num)d attendance marks are still missing; mark every session "
                           "first.", unmarked)
    names = [_("%(name)s: %(hours)s of %(total)s hours",
               name=row.enrolment.user.full_name, hours=format_hours(row.attended / 60),
               total=format_hours(run.course.total_hours)) for row in not_completing]
    return {"effects": effects, "warnings": warnings, "blocked": blocked, "names": names,
            "names_heading": _("Who does not complete it")}


@bp.route("/manage/runs/<int:run_id>/close", methods=["GET", "POST"])
@require(is_admin)
def close(run_id: int):
    """GET: what closing will do, in numbers, and a button to do it; POST: close."""
    run = db.get_or_404(Run, run_id)
    if request.method == "GET":
        back = url_for("attendance.run_register", run_id=run.id)
        return render_template(
            "_confirm.html", heading=_("Close the run"), subject=run.course.title,
            back=back, action=url_for("attendance.close", run_id=run.id),
            button=_("Close the run"), form=ConfirmForm(), **_close_preview(run))
    if ConfirmForm().validate_on_submit():
        done = perform(lambda: services.close_run(run, current_user))
        if done:
            rows = done.value.rows
            flash(
                _(
                    "The run is closed: %(completed)d of %(total)d trainees completed it.",
                    completed=sum(row.met for row in rows),
                    total=len(rows),
                ),
                "success",
            )
            missing = len(evidence.sessions_missing_sheet(run.sessions, utcnow()))
            if missing:
                flash(evidence.missing_sheets_message(missing), "warning")
    return redirect(url_for("attendance.run_register", run_id=run.id))
