"""The site owner's sign-in, so the consent dashboard (/consent/admin) is theirs alone.

A local admin user made by ``flask --app examples.stepahead create-admin EMAIL`` (the password
is prompted for and kept as a werkzeug.security hash), a sign-in form protected by the site's
own CSRF token, the guard consent_sdk asks before each dashboard request
(``CONSENT_ADMIN_GUARD``), and sign-out. The signed-in admin is kept in the Flask session,
the strictly necessary ``session`` cookie the site already declares.
"""

from __future__ import annotations

import hmac
import re
from typing import Any

import click
from flask import (
    Blueprint,
    Flask,
    abort,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash
from werkzeug.wrappers import Response

from .models import AdminUser, db
from .security import csrf_token, csrf_valid

bp = Blueprint("stepahead_admin", __name__, url_prefix="/admin")

SESSION_KEY = "admin"
MIN_PASSWORD = 10
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Checked when the e-mail is unknown, so a wrong e-mail takes as long as a wrong password.
_NOBODY = generate_password_hash("no such admin")

TEXTS: dict[str, dict[str, str]] = {
    "lv": {
        "title": "Pieteikšanās",
        "lead": "Piekrišanu pārskats ir pieejams tikai vietnes administratoriem.",
        "email": "E-pasts",
        "password": "Parole",
        "submit": "Pieteikties",
        "wrong": "Nepareizs e-pasts vai parole.",
        "csrf": "Forma ir novecojusi. Lūdzu, mēģiniet vēlreiz.",
        "home": "Administrēšana",
        "signed_in": "Jūs esat pieteicies kā",
        "dashboard": "Atvērt piekrišanu pārskatu",
        "sign_out": "Iziet",
        "signed_out": "Jūs esat izgājis.",
    },
    "en": {
        "title": "Sign in",
        "lead": "The consent dashboard is for the site's administrators only.",
        "email": "E-mail",
        "password": "Password",
        "submit": "Sign in",
        "wrong": "Wrong e-mail or password.",
        "csrf": "The form has expired. Please try again.",
        "home": "Administration",
        "signed_in": "You are signed in as",
        "dashboard": "Open the consent dashboard",
        "sign_out": "Sign out",
        "signed_out": "You are signed out.",
    },
    "ru": {
        "title": "Вход",
        "lead": "Панель согласий доступна только администраторам сайта.",
        "email": "E-mail",
        "password": "Пароль",
        "submit": "Войти",
        "wrong": "Неверный e-mail или пароль.",
        "csrf": "Срок действия формы истёк. Пожалуйста, попробуйте ещё раз.",
        "home": "Администрирование",
        "signed_in": "Вы вошли как",
        "dashboard": "Открыть панель согласий",
        "sign_out": "Выйти",
        "signed_out": "Вы вышли.",
    },
}


def _fingerprint(user: AdminUser) -> str:
    """Part of the password hash kept in the session: a new password signs every session out."""
    return user.password_hash[-16:]


def current_admin() -> AdminUser | None:
    """The signed-in admin, or None (also when their password has changed since)."""
    held = session.get(SESSION_KEY)
    if not isinstance(held, dict):
        return None
    user = db.session.get(AdminUser, held.get("id"))
    if user is None or not hmac.compare_digest(str(held.get("key")), _fingerprint(user)):
        return None
    return user


def admin_guard() -> bool:
    """CONSENT_ADMIN_GUARD: the signed-in admin passes; anyone else goes to the sign-in form,
    which brings them back to the page they asked for."""
    if current_admin() is not None:
        return True
    abort(redirect(url_for("stepahead_admin.login", next=request.full_path, lang=_lang())))


def _lang() -> str:
    lang = getattr(g, "lang", "lv")
    return lang if lang in TEXTS else "lv"


def _local(target: str | None) -> str | None:
    """``next`` only when it is a path on this site (``//host`` or ``/\\host`` are not)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    return target


def _dashboard() -> str:
    return url_for("consent_admin.overview_page", lang=_lang())


def _page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    html = render_template(template, a=TEXTS[_lang()], csrf=csrf_token(), **context)
    return html, status


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """The sign-in form; a right e-mail and password start a fresh session."""
    target = _local(request.values.get("next"))
    if request.method == "GET":
        return _page("admin_login.html", email="", error=None, next=target)
    email = request.form.get("email", "").strip().lower()
    if not csrf_valid(request.form.get("csrf")):
        return _page("admin_login.html", 400, email=email, error="csrf", next=target)
    user = db.session.execute(
        select(AdminUser).where(AdminUser.email == email)
    ).scalar_one_or_none()
    password = request.form.get("password", "")
    if not check_password_hash(user.password_hash if user else _NOBODY, password) or not user:
        return _page("admin_login.html", 401, email=email, error="wrong", next=target)
    session.clear()  # nothing from before signing in carries over
    session[SESSION_KEY] = {"id": user.id, "key": _fingerprint(user)}
    return redirect(target or _dashboard())


@bp.get("/")
def home() -> Any:
    """Who is signed in, the way to the dashboard, and sign-out."""
    user = current_admin()
    if user is None:
        return redirect(url_for(".login", lang=_lang()))
    return _page("admin_home.html", user=user, dashboard=_dashboard())


@bp.post("/logout")
def logout() -> Response:
    if csrf_valid(request.form.get("csrf")):
        session.pop(SESSION_KEY, None)
    return redirect(url_for(".login", lang=_lang(), out=1))


def create_admin(email: str, password: str) -> bool:
    """Store an admin (or a new password for one); True if the admin is new."""
    user = db.session.execute(
        select(AdminUser).where(AdminUser.email == email)
    ).scalar_one_or_none()
    new = user is None
    if user is None:
        user = AdminUser(email=email, password_hash="")
        db.session.add(user)
    user.password_hash = generate_password_hash(password)
    db.session.commit()
    return new


def init_admin(app: Flask) -> None:
    """The sign-in pages and the ``create-admin`` command."""
    app.register_blueprint(bp)

    @app.cli.command("create-admin")
    @click.argument("email")
    @click.password_option(help="Prompted for (twice, not shown) when not given.")
    def create_admin_command(email: str, password: str) -> None:
        """Make EMAIL an admin who can see the consent dashboard (or set a new password)."""
        email = email.strip().lower()
        if not EMAIL.match(email):
            raise click.BadParameter("not an e-mail address", param_hint="EMAIL")
        if len(password) < MIN_PASSWORD:
            raise click.ClickException(f"the password needs at least {MIN_PASSWORD} characters")
        new = create_admin(email, password)
        click.echo(
            f"{'created' if new else 'updated the password of'} admin {email}; "
            "sign in at /admin/login to see the consent dashboard (/consent/admin/)"
        )
