"""The WSGI application for `flask` (found automatically) and `gunicorn wsgi:app` in a checkout.

An installed Forrás (no checkout) serves `gunicorn lms.wsgi:app`, or `flask --app lms`.
"""

from lms.wsgi import app

__all__ = ["app"]
