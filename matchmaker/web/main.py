"""Home page: sends each role to its own start page."""
from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

bp = Blueprint("main", __name__)

HOME_BY_ROLE = {
    "enterprise": "enterprise.dashboard",
    "bank_manager": "bank.inbox",
    "bank_admin": "bank.inbox",
    "township": "township.dashboard",
    "district": "district.dashboard",
}


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for(HOME_BY_ROLE.get(current_user.role, "auth.login")))
    return render_template("index.html")
