"""The WSGI application for `flask` (found automatically) and `gunicorn wsgi:app`."""

from lms import create_app

app = create_app()
