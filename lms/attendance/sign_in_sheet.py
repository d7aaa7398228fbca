"""The printable sign-in sheet of a session, in the run's language."""

from flask import render_template
from flask_babel import force_locale

from lms.pdf import render_pdf


def render_sign_in_sheet(session, enrolments, trainers, blank_rows: int = 3) -> bytes:
    """A4 sheet: the session's facts, a numbered row with a signature box per trainee,
    a few blank rows for walk-ins, and the trainer's signature line."""
    run = session.run
    with force_locale(run.language):
        html = render_template("pdf/sign_in_sheet.html", session=session, run=run,
                               enrolments=enrolments, trainers=trainers,
                               blank_rows=blank_rows)
    # Printed again and again while the roster stays the same: cached by content.
    return render_pdf(html, stylesheets=("pdf/sign-in-sheet.css",),
                      user_agent_stylesheet="pdf/sheet-ua.css", cache=True)
