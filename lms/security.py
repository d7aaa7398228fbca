"""HTTP hardening (ASVS V3, V14): cookie flags and security headers on every response.

The Content-Security-Policy allows scripts, styles, fonts and images from the
application only (QR codes are `data:` images): no inline script or style can run,
so an injected `<script>` is inert even if escaping were ever missed. Frames are
refused (clickjacking). With `LMS_HTTPS=1` (production behind TLS) cookies are
`Secure` and browsers are told to keep to HTTPS (HSTS).
"""

from flask import Flask, Response, abort, request

from lms.formtools import has_control_characters

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
HSTS = "max-age=31536000; includeSubDomains"


def init_app(app: Flask) -> None:
    if app.config["HTTPS"]:
        app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)

    @app.before_request
    def _refuse_control_characters():
        # NUL and other control characters in an address are never typed by a person;
        # PostgreSQL cannot even compare text with a NUL: 400 before anything reads them.
        if has_control_characters(request.path) or any(
                has_control_characters(key) or has_control_characters(value)
                for key, values in request.args.lists() for value in values):
            abort(400)

    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config["HTTPS"]:
            headers.setdefault("Strict-Transport-Security", HSTS)
        return response
