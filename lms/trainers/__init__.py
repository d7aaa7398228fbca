from flask import Blueprint

bp = Blueprint("trainers", __name__)
