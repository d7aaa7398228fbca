from functools import cache
from pathlib import Path

from flask import (
    Response,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.exc import (
    DataError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    ProgrammingError,
    StatementError,
)

from lms.auth.services import update_profile
from lms.core import bp, health
from lms.db import rollback_quietly
from lms.extensions import db, login_manager
from lms.i18n import gettext as _
from lms.pipeline import data_message, integrity_message, perform
from lms.urls import safe_next


@bp.route("/healthz")
def healthz():
    """For load balancers and monitoring: 200 when Forrás can serve, else 503 naming
    the cause (`database` unreachable, `schema` not migrated to the head, `redis`)."""
    found = health.problems(current_app)
    if not found:
        return jsonify(status="ok", database="ok")
    database = {health.DATABASE: "unreachable", health.SCHEMA: "not migrated"}
    body = {"status": "unavailable", "cause": found[0], "causes": found,
            "database": next((database[c] for c in found if c in database), "ok")}
    if health.REDIS in found:
        body["redis"] = "unreachable"
    return jsonify(body), 503, {"Retry-After": "60"}


@bp.route("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico whatever the page links: the icon, cached a week
    (read into memory once: 2.5 kB, and no file left open by whoever reads half of it)."""
    response = Response(_favicon(), mimetype="image/vnd.microsoft.icon")
    response.cache_control.public = True
    response.cache_control.max_age = 7 * 24 * 3600
    return response


@cache
def _favicon() -> bytes:
    return (Path(current_app.static_folder) / "img" / "favicon.ico").read_bytes()


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


# PostgreSQL's SQLSTATEs for a table or column that is not there: a database not (yet)
# migrated to this release's schema. (SQLite says "no such table": an OperationalError.)
UNMIGRATED_SQLSTATES = {"42P01", "42703"}


@bp.app_errorhandler(OperationalError)
@bp.app_errorhandler(InterfaceError)
def database_unavailable(error):
    """The database does not answer (down, unreachable, locked for too long, not
    migrated): a friendly 503 in the reader's language, never a trace."""
    rollback_quietly()
    current_app.logger.error("database unavailable: %s", getattr(error, "orig", error))
    # The page must not need the database: whoever is logged in is not looked up
    # (Flask-Login would ask the database again to render any template).
    g._login_user = login_manager.anonymous_user()
    return render_template("unavailable.html"), 503, {"Retry-After": "60"}


@bp.app_errorhandler(ProgrammingError)
def programming_error(error):
    """A missing table or column is an unmigrated database (503); anything else is a bug."""
    if getattr(error.orig, "sqlstate", None) in UNMIGRATED_SQLSTATES:
        return database_unavailable(error)
    rollback_quietly()
    return server_error(error)


@bp.app_errorhandler(500)
def server_error(_error):
    rollback_quietly()
    return _error_page(
        500, _("Something went wrong"), _("The error was logged. Please try again later.")
    )
