"""Personal data: the privacy notice, one's own data (export, requests), the
administrators' requests queue."""

import sqlalchemy as sa
from flask import current_app, render_template

from lms.courses.models import Centre
from lms.extensions import db
from lms.privacy import bp


@bp.route("/privacy")
def notice():
    """The privacy notice in the reader's language: the centres as controllers, what is
    kept, why and for how long, and the rights a person has."""
    centres = db.session.scalars(
        sa.select(Centre).where(Centre.active.is_(True)).order_by(Centre.country, Centre.name)
    ).all()
    return render_template("privacy/notice.html", centres=centres,
                           years=current_app.config["PERSONAL_DATA_RETENTION_YEARS"])
