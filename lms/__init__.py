"""Forrás LMS: training management for social-sector resource centres."""

from pathlib import Path

from flask import Flask, current_app, request
from flask_babel import force_locale
from werkzeug.exceptions import SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix

from lms.config import (
    MIGRATIONS_FOLDER,
    STATIC_FOLDER,
    TEMPLATE_FOLDER,
    Config,
    instance_path,
)
from lms.i18n import gettext as _
from lms.urls import BoundedIntConverter, public_host


def create_app(test_config: dict | None = None) -> Flask:
    """Application factory; `test_config` overrides the environment's settings."""
    folder = instance_path()
    app = Flask(
        __name__,
        instance_path=str(folder),
        template_folder=str(TEMPLATE_FOLDER),
        static_folder=str(STATIC_FOLDER),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_object(Config(folder))
    if test_config:
        app.config.update(test_config)
    apply_host_settings(app)

    _init_extensions(app)
    app.url_map.converters["int"] = BoundedIntConverter  # before any route is added
    _register_blueprints(app)

    from lms import access, cli, pipeline, security, sqlcount, templating

    templating.init_app(app)
    security.init_app(app)
    access.init_app(app)
    pipeline.init_app(app)
    cli.init_app(app)
    sqlcount.init_app(app)  # X-SQL-Count, only when BENCH_COUNT_SQL is set
    return app


def apply_host_settings(app: Flask) -> None:
    """TRUSTED_HOSTS (Flask answers 400 to another Host) and the proxies to believe.

    ProxyFix trusts X-Forwarded-For and -Proto from PROXY_COUNT proxies, never
    X-Forwarded-Host: the host is checked against TRUSTED_HOSTS, and links are
    built from PUBLIC_BASE_URL anyway.
    """
    hosts = app.config.get("TRUSTED_HOSTS")
    if hosts is None:
        hosts = [public_host(app.config["PUBLIC_BASE_URL"]), "localhost", "127.0.0.1"]
    app.config["TRUSTED_HOSTS"] = None if "*" in hosts else sorted(set(filter(None, hosts)))
    app.register_error_handler(SecurityError, _untrusted_host)
    proxies = int(app.config.get("PROXY_COUNT") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=0, x_port=0, x_prefix=0
        )


def _init_extensions(app: Flask) -> None:
    from lms import i18n, models  # noqa: F401  (every table joins the metadata)
    from lms.audit import services as _audit  # noqa: F401  (its flush hook logs changes)
    from lms.auth.sessions import load_user
    from lms.db import compared_with_models
    from lms.extensions import babel, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_FOLDER), render_as_batch=True,
                     include_object=compared_with_models)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    i18n.install_jinja_gettext(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = i18n.lazy_gettext("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.user_loader(load_user)


def _register_blueprints(app: Flask) -> None:
    # Importing the route modules attaches their views to the blueprints.
    from lms.attendance import bp as attendance_bp
    from lms.attendance import routes as _attendance_routes  # noqa: F401
    from lms.auth import bp as auth_bp
    from lms.auth import routes as _auth_routes  # noqa: F401
    from lms.calendars import bp as calendars_bp
    from lms.calendars import routes as _calendars_routes  # noqa: F401
    from lms.certificates import bp as certificates_bp
    from lms.certificates import routes as _certificates_routes  # noqa: F401
    from lms.core import bp as core_bp
    from lms.core import routes as _core_routes  # noqa: F401
    from lms.courses import bp as courses_bp
    from lms.courses import routes as _courses_routes  # noqa: F401
    from lms.enrolment import bp as enrolment_bp
    from lms.enrolment import routes as _enrolment_routes  # noqa: F401
    from lms.evidence import bp as evidence_bp
    from lms.evidence import routes as _evidence_routes  # noqa: F401
    from lms.jobs import bp as jobs_bp
    from lms.jobs import routes as _jobs_routes  # noqa: F401
    from lms.manage import bp as manage_bp
    from lms.manage import routes as _manage_routes  # noqa: F401
    from lms.privacy import bp as privacy_bp
    from lms.privacy import routes as _privacy_routes  # noqa: F401
    from lms.programmes import bp as programmes_bp
    from lms.programmes import routes as _programmes_routes  # noqa: F401
    from lms.reports import bp as reports_bp
    from lms.reports import routes as _reports_routes  # noqa: F401
    from lms.surveys import bp as surveys_bp
    from lms.surveys import evaluation_routes as _evaluation_routes  # noqa: F401
    from lms.surveys import routes as _surveys_routes  # noqa: F401
    from lms.trainers import bp as trainers_bp
    from lms.trainers import routes as _trainers_routes  # noqa: F401

    app.register_blueprint(core_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(courses_bp)
    app.register_blueprint(enrolment_bp)
    app.register_blueprint(trainers_bp)
    app.register_blueprint(attendance_bp)
    app.register_blueprint(certificates_bp)
    app.register_blueprint(evidence_bp)
    app.register_blueprint(calendars_bp)
    app.register_blueprint(programmes_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(manage_bp, url_prefix="/manage")
    app.register_blueprint(jobs_bp)
    app.register_blueprint(surveys_bp)
    app.register_blueprint(privacy_bp)


def _untrusted_host(_error: SecurityError):
    # Plain text: no URL can be built for a request whose host was refused, so the
    # site's error page (which links home) cannot be rendered. The language comes
    # from the browser alone: the session and profile are not read for such a request.

    language = request.accept_languages.best_match(current_app.config["LANGUAGES"]) or "en"
    with force_locale(language):
        message = _("This site does not answer to that host name.")
    return f"400 Bad Request: {message}\n", 400, {"Content-Type": "text/plain; charset=utf-8"}
