from urllib.parse import urlsplit

from flask import current_app
from werkzeug.routing import IntegerConverter, ValidationError

from lms.formtools import INT_MAX as ID_MAX  # the largest id an INTEGER column holds


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` in routes, refusing (404) a number no record can have: one beyond
    what the database holds would otherwise reach it and fail there."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", ID_MAX)
        super().__init__(map, *args, **kwargs)

    def to_python(self, value: str) -> int:
        if len(value) > len(str(ID_MAX)):  # no need to parse a thousand digits
            raise ValidationError()
        return super().to_python(value)


def safe_next(target: str | None) -> str | None:
    """Accept only a path on this site: no scheme, no host, no `//` or `\\` tricks."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def public_url(endpoint: str, **values) -> str:
    """The absolute address of `endpoint` on the site's public address (PUBLIC_BASE_URL).

    Every link that leaves the site (e-mails, certificates and their QR codes,
    calendars) is built here, from configuration only: never from the request's
    Host or X-Forwarded-Host, which a client chooses (a reset link on
    `http://evil.example/` would hand the token to an attacker).
    """
    app = current_app._get_current_object()
    base = urlsplit(app.config["PUBLIC_BASE_URL"].rstrip("/"))
    app.inject_url_defaults(endpoint, values)
    adapter = app.url_map.bind(base.netloc, script_name=base.path or "/",
                               url_scheme=base.scheme or "http")
    return adapter.build(endpoint, values, force_external=True)


def public_host(base_url: str) -> str:
    """The host name (without port) of a base URL such as PUBLIC_BASE_URL."""
    return urlsplit(base_url).hostname or ""
