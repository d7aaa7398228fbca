from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_login import current_user, login_required, login_user, logout_user

from lms.auth import bp, messages, services, sessions, throttling
from lms.auth.forms import (
    EmailChangeForm,
    ForgotPasswordForm,
    LoginForm,
    PasswordForm,
    ProfileForm,
    RegistrationForm,
    ResetPasswordForm,
)
from lms.auth.tokens import CHANGE_EMAIL, CONFIRM_EMAIL, RESET_PASSWORD, read_token
from lms.clock import today_at, utcnow
from lms.extensions import limiter
from lms.i18n import gettext as _
from lms.i18n import viewer_zone
from lms.pipeline import perform
from lms.urls import safe_next


def _start_session(user, key: str) -> None:
    # Rotate the session on login: nothing from before the login survives,
    # so a planted session cookie gains nothing.
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    session[sessions.SESSION_KEY] = key
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
        next_path = safe_next(request.args.get("next")) or ""

        def operation():
            existing = services.find_user_by_email(form.email.data)
            if existing is None:
                user = services.create_user(
                    email=form.email.data, password=form.password.data, confirmed=False,
                    locale=str(get_locale()), **form.profile_data()
                )
                messages.send_confirmation(user, next_path)
            elif existing.email_confirmed_at is None:
                messages.send_confirmation(existing, next_path)
            else:
                messages.send_account_exists(existing)

        if perform(operation, form):
            # The same page whether or not the address has an account; it names the
            # address typed (kept in the signed cookie, not in the URL or the logs).
            session["inbox_email"] = services.normalise_email(form.email.data)
            return redirect(url_for("auth.check_inbox"))
    return render_template("auth/register.html", form=form)


@bp.route("/register/check-your-inbox")
def check_inbox():
    return render_template(
        "auth/check_inbox.html", email=session.get("inbox_email"),
        hours=current_app.config["EMAIL_CONFIRM_MAX_AGE"] // 3600)


@bp.route("/register/confirm/<token>")
def confirm_email(token: str):
    found = read_token(CONFIRM_EMAIL, token, current_app.config["EMAIL_CONFIRM_MAX_AGE"])
    if found is None:
        return render_template("auth/link_invalid.html"), 404
    user, payload = found

    def operation():
        services.confirm_email(user)
        return sessions.open_session(user, throttling.address())

    outcome = perform(operation)
    if not outcome:
        return redirect(url_for("auth.login"))
    _start_session(user, outcome.value)
    flash(_("Welcome, %(name)s! Your account is ready.", name=user.full_name), "success")
    return redirect(safe_next(payload.get("n")) or url_for("courses.catalogue"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["PASSWORD_RESET_LIMIT"], methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user = services.find_user_by_email(form.email.data)
        if user is not None and user.active and not perform(
                lambda: messages.send_password_reset(user)):
            return render_template("auth/forgot_password.html", form=form)
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
    if form.validate_on_submit() and perform(
            lambda: services.reset_password(user, form.new_password.data), form):
        if current_user.is_authenticated:  # the reset ended this session too
            logout_user()
            session.clear()
        flash(_("Your new password is set. Log in with it."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS"],
               methods=["POST"], key_func=throttling.account_and_address_key,
               deduct_when=throttling.login_failed)
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"],
               deduct_when=throttling.login_failed, exempt_when=throttling.is_known_device)
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], methods=["POST"],
               key_func=throttling.account_key, deduct_when=throttling.login_failed,
               exempt_when=throttling.is_known_place)
def login():
    """Log in (throttled: see lms.auth.throttling)."""
    if current_user.is_authenticated:
        return redirect(url_for("courses.catalogue"))
    form = LoginForm()
    if form.validate_on_submit():
        # Committed: a failed attempt is logged (lms.audit).
        user = perform(
            lambda: services.authenticate(form.email.data, form.password.data), form).value
        if user is None:
            form.form_errors.append(_("The e-mail address or the password is not correct."))
        elif user.email_confirmed_at is None:
            # Only someone who knows the password learns the account is unconfirmed.
            next_path = safe_next(request.args.get("next")) or ""
            if perform(lambda: messages.send_confirmation(user, next_path), form):
                form.form_errors.append(_("Please confirm your e-mail address first: we "
                                          "have sent you a new link."))
        else:
            outcome = perform(lambda: sessions.open_session(user, throttling.address()), form)
            if outcome:
                _start_session(user, outcome.value)
                flash(_("You are logged in."), "success")
                response = redirect(safe_next(request.args.get("next"))
                                    or url_for("courses.catalogue"))
                throttling.remember_device(response, user.email)
                return response
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    key = session.get(sessions.SESSION_KEY)
    perform(lambda: sessions.end_session(key, sessions.LOGOUT))
    logout_user()
    session.clear()
    flash(_("You are logged out."), "info")
    return redirect(url_for("courses.catalogue"))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    user = current_user._get_current_object()
    profile_form = ProfileForm(obj=user, prefix="profile")
    email_form = EmailChangeForm(prefix="email")
    password_form = PasswordForm(prefix="password")
    if request.method == "GET":
        profile_form.locale.data = user.locale or ""
        profile_form.time_zone.data = user.time_zone or ""
    if "profile-full_name" in request.form and profile_form.validate_on_submit():
        def operation():
            services.update_profile(
                user, locale=profile_form.locale.data, time_zone=profile_form.time_zone.data,
                **profile_form.profile_data())
            services.set_training_record(user, today=today_at(utcnow(), viewer_zone()),
                                         **profile_form.training_data())

        if perform(operation, profile_form):
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("auth.profile"))
    elif "email-new_email" in request.form and email_form.validate_on_submit():
        def operation():
            services.request_email_change(
                user, email_form.new_email.data, email_form.current_password.data)
            messages.send_email_change_confirmation(user)
            messages.send_email_change_notice(user)

        if perform(operation, email_form):
            flash(_("We have sent a link to %(email)s. Your address changes when you open "
                    "it; until then, log in with %(current)s.",
                    email=user.pending_email, current=user.email), "info")
            return redirect(url_for("auth.profile"))
    elif "password-current_password" in request.form and password_form.validate_on_submit():
        keep = session.get(sessions.SESSION_KEY)
        if perform(lambda: services.change_password(
                user, password_form.current_password.data, password_form.new_password.data,
                keep_session=keep), password_form):
            flash(_("Your password is changed. Every other session of your account is "
                    "logged out."), "success")
            return redirect(url_for("auth.profile"))
    return render_template("auth/profile.html", profile_form=profile_form,
                           email_form=email_form, password_form=password_form)


@bp.route("/profile/email/confirm/<token>")
def confirm_email_change(token: str):
    """The link sent to a new address: it becomes the account's address."""
    found = read_token(CHANGE_EMAIL, token, current_app.config["EMAIL_CONFIRM_MAX_AGE"])
    if found is None:
        return render_template("auth/link_invalid.html"), 404
    user, payload = found
    address = payload.get("e") or ""
    # Refused (another address asked for since, or the address taken meanwhile, even
    # at this very moment): the page says the link no longer works, once.
    if not perform(lambda: services.confirm_email_change(user, address),
                   explain=lambda _error: None):
        return render_template("auth/link_invalid.html"), 404
    flash(_("Your e-mail address is now %(email)s.", email=address), "success")
    if current_user.is_authenticated and current_user.id == user.id:
        return redirect(url_for("auth.profile"))
    return redirect(url_for("auth.login"))
