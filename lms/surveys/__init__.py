from flask import Blueprint

bp = Blueprint("surveys", __name__)
