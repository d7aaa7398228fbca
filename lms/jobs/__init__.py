"""Long exports made by the job worker (`flask jobs work --loop N`), not by a web request:
the whole audit log, a centre's registers of a year, a big bulk print."""

from flask import Blueprint

bp = Blueprint("jobs", __name__)
