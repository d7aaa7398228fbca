from flask import Blueprint

bp = Blueprint("programmes", __name__)
