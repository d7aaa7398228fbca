import sqlalchemy as sa
from flask import current_app, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.exc import (
    DataError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
    StatementError,
)

from lms.auth.services import update_profile
from lms.core import bp
from lms.extensions import db
from lms.i18n import gettext as _
from lms.pipeline import data_message, integrity_message, perform
from lms.urls import safe_next


@bp.route("/healthz")
def healthz():
    try:
        db.session.execute(sa.text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


@bp.route("/language", methods=["POST"])
def set_language():
    """The header's language picker: remembered in the session (and profile, if logged in)."""
    form = FlaskForm()
    code = request.form.get("language", "")
    if form.validate_on_submit() and code in current_app.config["LANGUAGES"]:
        session["locale"] = code
        if current_user.is_authenticated:
            perform(lambda: update_profile(current_user, locale=code))
    return redirect(safe_next(request.form.get("next")) or url_for("courses.catalogue"))


def _error_page(code: int, title: str, message: str):
    return render_template("error.html", code=code, title=title, message=message), code


@bp.app_errorhandler(403)
def forbidden(_error):
    return _error_page(403, _("Not allowed"), _("You do not have access to this page."))


@bp.app_errorhandler(404)
def not_found(_error):
    return _error_page(404, _("Page not found"), _("There is no page at this address."))


@bp.app_errorhandler(400)
def bad_request(_error):
    return _error_page(
        400, _("Bad request"), _("The form could not be read. Please go back and try again.")
    )


@bp.app_errorhandler(413)
def too_large(_error):
    return _error_page(
        413, _("Too much data"),
        _("What you sent is larger than Forrás accepts. Please shorten it and try again."),
    )


@bp.app_errorhandler(429)
def too_many_requests(_error):
    return _error_page(
        429, _("Too many attempts"),
        _("You have tried this too many times in a short while. "
          "Please wait a few minutes, then try again."),
    )


@bp.app_errorhandler(IntegrityError)
def integrity_error(error):
    """A constraint refused a change made outside `perform` (e.g. by a concurrent request)."""
    db.session.rollback()
    return _error_page(409, _("Changed at the same moment"), integrity_message(error))


@bp.app_errorhandler(DataError)
def data_error(error):
    db.session.rollback()
    return _error_page(400, _("Bad request"), data_message(error))


@bp.app_errorhandler(StatementError)
def statement_error(error):
    """A value the driver refuses before the database sees it (NUL in text for
    PostgreSQL) is bad input; any other statement error is a bug: the usual 500."""
    db.session.rollback()
    if isinstance(error.orig, ValueError):
        return _error_page(400, _("Bad request"), data_message(error))
    return server_error(error)


@bp.app_errorhandler(OperationalError)
@bp.app_errorhandler(InterfaceError)
def database_unavailable(error):
    """The database does not answer (down, unreachable, locked for too long): a
    friendly 503 in the reader's language, never a trace. Other database errors are
    bugs and take the usual 500 path."""
    db.session.rollback()
    current_app.logger.error("database unavailable: %s", error.orig)
    return render_template("unavailable.html"), 503, {"Retry-After": "60"}


@bp.app_errorhandler(500)
def server_error(_error):
    db.session.rollback()
    return _error_page(
        500, _("Something went wrong"), _("The error was logged. Please try again later.")
    )
