"""Evidence kept for auditors: the signed sign-in sheets of sessions and their bytes,
and the evidence pack of a closed run."""

from flask import Blueprint

bp = Blueprint("evidence", __name__)
