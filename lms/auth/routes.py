from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_login import current_user, login_required, login_user, logout_user

from lms.auth import bp, messages, services
from lms.auth.forms import (
    ForgotPasswordForm,
    LoginForm,
    PasswordForm,
    ProfileForm,
    RegistrationForm,
    ResetPasswordForm,
)
from lms.auth.services import normalise_email
from lms.auth.tokens import CONFIRM_EMAIL, RESET_PASSWORD, read_token
from lms.errors import DomainError, attach_to_form
from lms.extensions import db, limiter
from lms.i18n import gettext as _
from lms.urls import safe_next


def _start_session(user) -> None:
    # Rotate the session on login: nothing from before the login survives,
    # so a planted session cookie gains nothing.
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    login_user(user)


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Self-registration. Whether or not the address already has an account, the
    answer is the same ("check your inbox"); the e-mail says which it was, so the
    page tells a stranger nothing about who is registered."""
    if current_user.is_authenticated:
        return redirect(url_for("courses.catalogue"))
    form = RegistrationForm()
    if form.validate_on_submit():
        existing = services.find_user_by_email(form.email.data)
        next_path = safe_next(request.args.get("next")) or ""
        if existing is not None:
            if existing.email_confirmed_at is None:
                messages.send_confirmation(existing, next_path)
            else:
                messages.send_account_exists(existing)
            db.session.commit()
            return redirect(url_for("auth.check_inbox"))
        try:
            user = services.create_user(
                email=form.email.data, password=form.password.data, confirmed=False,
                locale=str(get_locale()), **form.profile_data()
            )
        except DomainError as error:
            db.session.rollback()
            attach_to_form(form, error)
        else:
            messages.send_confirmation(user, next_path)
            db.session.commit()
            return redirect(url_for("auth.check_inbox"))
    return render_template("auth/register.html", form=form)


@bp.route("/register/check-your-inbox")
def check_inbox():
    return render_template("auth/check_inbox.html")


@bp.route("/register/confirm/<token>")
def confirm_email(token: str):
    found = read_token(CONFIRM_EMAIL, token, current_app.config["EMAIL_CONFIRM_MAX_AGE"])
    if found is None:
        return render_template("auth/link_invalid.html"), 404
    user, payload = found
    services.confirm_email(user)
    db.session.commit()
    _start_session(user)
    flash(_("Welcome, %(name)s! Your account is ready.", name=user.full_name), "success")
    return redirect(safe_next(payload.get("n")) or url_for("courses.catalogue"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["PASSWORD_RESET_LIMIT"], methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user = services.find_user_by_email(form.email.data)
        if user is not None and user.active:
            messages.send_password_reset(user)
            db.session.commit()
        # The same answer whether or not the address has an account.
        flash(_("If an account uses that address, we have sent it a link to set a new "
                "password. It works for one hour."), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    found = read_token(RESET_PASSWORD, token, current_app.config["PASSWORD_RESET_MAX_AGE"])
    if found is None:
        return render_template("auth/link_invalid.html"), 404
    user, _payload = found
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(user, form.new_password.data)
        except DomainError as error:
            db.session.rollback()
            attach_to_form(form, error)
        else:
            db.session.commit()
            flash(_("Your new password is set. Log in with it."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form)


def _posted_account() -> str:
    return "login-account:" + normalise_email(request.form.get("email", ""))[:254]


def _failed(response) -> bool:
    return response.status_code != 302  # a successful login redirects


# Login is throttled per address (password spraying from one machine) and, counting
# failures only, per account (guessing one person's password from many machines).
@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], methods=["POST"],
               key_func=_posted_account, deduct_when=_failed)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("courses.catalogue"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            form.form_errors.append(_("The e-mail address or the password is not correct."))
        elif user.email_confirmed_at is None:
            # Only someone who knows the password learns the account is unconfirmed.
            db.session.rollback()
            messages.send_confirmation(user, safe_next(request.args.get("next")) or "")
            db.session.commit()
            form.form_errors.append(_("Please confirm your e-mail address first: we have "
                                      "sent you a new link."))
        else:
            db.session.commit()
            _start_session(user)
            flash(_("You are logged in."), "success")
            return redirect(safe_next(request.args.get("next")) or url_for("courses.catalogue"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    session.clear()
    flash(_("You are logged out."), "info")
    return redirect(url_for("courses.catalogue"))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    profile_form = ProfileForm(obj=current_user, prefix="profile")
    password_form = PasswordForm(prefix="password")
    if request.method == "GET":
        profile_form.locale.data = current_user.locale or ""
    if "profile-full_name" in request.form and profile_form.validate_on_submit():
        try:
            services.update_profile(
                current_user,
                email=profile_form.email.data,
                locale=profile_form.locale.data,
                **profile_form.profile_data(),
            )
        except DomainError as error:
            db.session.rollback()
            attach_to_form(profile_form, error)
        else:
            db.session.commit()
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("auth.profile"))
    elif "password-current_password" in request.form and password_form.validate_on_submit():
        try:
            services.change_password(
                current_user, password_form.current_password.data, password_form.new_password.data
            )
        except DomainError as error:
            attach_to_form(password_form, error)
        else:
            db.session.commit()
            flash(_("Your password is changed."), "success")
            return redirect(url_for("auth.profile"))
    return render_template(
        "auth/profile.html", profile_form=profile_form, password_form=password_form
    )
