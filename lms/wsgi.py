"""The WSGI application of an installed Forrás: `gunicorn lms.wsgi:app`."""

from lms import create_app

app = create_app()
