"""Forrás LMS: training management for social-sector resource centres."""

from pathlib import Path

from flask import Flask

from lms.config import ROOT, Config, instance_path


def create_app(test_config: dict | None = None) -> Flask:
    """Application factory; `test_config` overrides the environment's settings."""
    folder = instance_path()
    app = Flask(
        __name__,
        instance_path=str(folder),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_object(Config(folder))
    if test_config:
        app.config.update(test_config)

    _init_extensions(app)
    _register_blueprints(app)

    from lms import access, cli, security, templating
    from lms.notifications import services as notifications

    templating.init_app(app)
    security.init_app(app)
    access.init_app(app)
    notifications.init_app(app)
    cli.init_app(app)
    return app


def _init_extensions(app: Flask) -> None:
    from lms import i18n, models  # noqa: F401  (every table joins the metadata)
    from lms.audit import services as _audit  # noqa: F401  (its flush hook logs changes)
    from lms.auth.services import load_user
    from lms.extensions import babel, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
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
    from lms.certificates import bp as certificates_bp
    from lms.certificates import routes as _certificates_routes  # noqa: F401
    from lms.core import bp as core_bp
    from lms.core import routes as _core_routes  # noqa: F401
    from lms.courses import bp as courses_bp
    from lms.courses import routes as _courses_routes  # noqa: F401
    from lms.enrolment import bp as enrolment_bp
    from lms.enrolment import routes as _enrolment_routes  # noqa: F401
    from lms.manage import bp as manage_bp
    from lms.manage import routes as _manage_routes  # noqa: F401
    from lms.trainers import bp as trainers_bp
    from lms.trainers import routes as _trainers_routes  # noqa: F401

    app.register_blueprint(core_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(courses_bp)
    app.register_blueprint(enrolment_bp)
    app.register_blueprint(trainers_bp)
    app.register_blueprint(attendance_bp)
    app.register_blueprint(certificates_bp)
    app.register_blueprint(manage_bp, url_prefix="/manage")
