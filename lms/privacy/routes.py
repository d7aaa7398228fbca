"""Personal data: the privacy notice, one's own data (export, requests), the
administrators' requests queue."""

import json

import sqlalchemy as sa
from flask import Response, current_app, render_template
from flask_login import current_user, login_required

from lms.audit.services import EXPORT, record_event
from lms.clock import utcnow
from lms.courses.models import Centre
from lms.extensions import db
from lms.pdf import render_pdf
from lms.pipeline import perform
from lms.privacy import bp, export


@bp.route("/privacy")
def notice():
    """The privacy notice in the reader's language: the centres as controllers, what is
    kept, why and for how long, and the rights a person has."""
    centres = db.session.scalars(
        sa.select(Centre).where(Centre.active.is_(True)).order_by(Centre.country, Centre.name)
    ).all()
    return render_template("privacy/notice.html", centres=centres,
                           years=current_app.config["PERSONAL_DATA_RETENTION_YEARS"])


def _data_filename(user, extension: str) -> str:
    return f"forras-my-data-{user.id}.{extension}"


@bp.route("/profile/my-data.json")
@login_required
def my_data_json():
    """Everything Forrás holds about the person, machine-readable (GDPR Art. 15, 20)."""
    user = current_user._get_current_object()
    data = export.personal_data(user)
    name = _data_filename(user, "json")
    perform(lambda: record_event(EXPORT, "User", user.id, name))
    body = json.dumps({"generated_at": utcnow().isoformat(), "person": user.id, **data},
                      ensure_ascii=False, indent=2, default=str)
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/profile/my-data.pdf")
@login_required
def my_data_pdf():
    """The same, readable: one section per kind of record."""
    user = current_user._get_current_object()
    data = export.personal_data(user)
    name = _data_filename(user, "pdf")
    html = render_template("privacy/my_data_pdf.html", person=user, data=data,
                           titles=export.SECTION_TITLES, generated_at=utcnow())
    pdf = render_pdf(html)
    perform(lambda: record_event(EXPORT, "User", user.id, name))
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
