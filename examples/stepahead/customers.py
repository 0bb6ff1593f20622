"""Customer sign-in, so a customer's cookie choice follows them to their other browsers.

A local test account made by ``flask --app examples.stepahead create-customer EMAIL`` (the
password is prompted for and kept as a werkzeug.security hash), a sign-in form protected by
the site's CSRF token, and sign-out. Customers are not admins: their own table
(``Customer``), their own session key (``customer``), their own pages under ``/account``; a
customer never reaches the consent dashboard.

Signing in calls ``consent.link_user(customer.id)``: the customer's newest cookie choice
applies in this browser (no banner if they chose on another one), and a choice or withdrawal
here reaches their other signed-in browsers on their next request. Signing out calls
``consent.unlink_user()``: the browser keeps its choice and stops following the account. (A
site on Flask-Login needs neither call: consent_sdk listens to its sign-in and sign-out.)
"""

from __future__ import annotations

import hmac
from typing import Any

import click
from flask import (
    Blueprint,
    Flask,
    current_app,
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

from consent_sdk import ConsentManager

from .admin import EMAIL, MIN_PASSWORD
from .models import Customer, db
from .security import csrf_token, csrf_valid

bp = Blueprint("stepahead_account", __name__, url_prefix="/account")

SESSION_KEY = "customer"
_NOBODY = generate_password_hash("no such customer")

TEXTS: dict[str, dict[str, str]] = {
    "lv": {
        "title": "Klienta pieteikšanās",
        "lead": "Piesakieties, un jūsu sīkdatņu izvēle būs spēkā arī citās jūsu ierīcēs.",
        "email": "E-pasts",
        "password": "Parole",
        "submit": "Pieteikties",
        "wrong": "Nepareizs e-pasts vai parole.",
        "csrf": "Forma ir novecojusi. Lūdzu, mēģiniet vēlreiz.",
        "home": "Mans konts",
        "signed_in": "Jūs esat pieteicies kā",
        "follows": "Jūsu sīkdatņu izvēle ir spēkā visās pārlūkprogrammās, kurās esat "
        "pieteicies; izmaiņas vienā no tām citās stājas spēkā nākamajā lapā.",
        "sign_out": "Iziet",
        "signed_out": "Jūs esat izgājis. Šī pārlūkprogramma patur savu izvēli.",
    },
    "en": {
        "title": "Customer sign-in",
        "lead": "Sign in and your cookie choice applies on your other devices too.",
        "email": "E-mail",
        "password": "Password",
        "submit": "Sign in",
        "wrong": "Wrong e-mail or password.",
        "csrf": "The form has expired. Please try again.",
        "home": "My account",
        "signed_in": "You are signed in as",
        "follows": "Your cookie choice applies in every browser you are signed in on; a "
        "change in one takes effect in the others on their next page.",
        "sign_out": "Sign out",
        "signed_out": "You are signed out. This browser keeps its own choice.",
    },
    "ru": {
        "title": "Вход для клиентов",
        "lead": "Войдите, и ваш выбор cookie будет действовать и на других ваших устройствах.",
        "email": "E-mail",
        "password": "Пароль",
        "submit": "Войти",
        "wrong": "Неверный e-mail или пароль.",
        "csrf": "Срок действия формы истёк. Пожалуйста, попробуйте ещё раз.",
        "home": "Мой аккаунт",
        "signed_in": "Вы вошли как",
        "follows": "Ваш выбор cookie действует во всех браузерах, где вы вошли; изменение "
        "в одном из них вступает в силу в остальных на следующей странице.",
        "sign_out": "Выйти",
        "signed_out": "Вы вышли. Этот браузер сохраняет свой выбор.",
    },
}


def _consent() -> ConsentManager:
    manager: ConsentManager = current_app.extensions["consent"].manager
    return manager


def _fingerprint(customer: Customer) -> str:
    """Part of the password hash kept in the session: a new password signs every session out."""
    return str(customer.password_hash[-16:])


def current_customer() -> Customer | None:
    held = session.get(SESSION_KEY)
    if not isinstance(held, dict):
        return None
    customer = db.session.get(Customer, held.get("id"))
    if customer is None or not hmac.compare_digest(str(held.get("key")), _fingerprint(customer)):
        return None
    return customer


def _lang() -> str:
    lang = getattr(g, "lang", "lv")
    return lang if lang in TEXTS else "lv"


def _page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    return render_template(template, a=TEXTS[_lang()], csrf=csrf_token(), **context), status


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "GET":
        return _page("customer_login.html", email="", error=None)
    email = request.form.get("email", "").strip().lower()
    if not csrf_valid(request.form.get("csrf")):
        return _page("customer_login.html", 400, email=email, error="csrf")
    customer = db.session.execute(
        select(Customer).where(Customer.email == email)
    ).scalar_one_or_none()
    password = request.form.get("password", "")
    digest = customer.password_hash if customer else _NOBODY
    if not check_password_hash(digest, password) or not customer:
        return _page("customer_login.html", 401, email=email, error="wrong")
    session[SESSION_KEY] = {"id": customer.id, "key": _fingerprint(customer)}
    _consent().link_user(customer.id)  # the account's cookie choice applies in this browser
    return redirect(url_for(".home", lang=_lang()))


@bp.get("/")
def home() -> Any:
    customer = current_customer()
    if customer is None:
        return redirect(url_for(".login", lang=_lang()))
    return _page("customer_home.html", customer=customer)


@bp.post("/logout")
def logout() -> Response:
    if csrf_valid(request.form.get("csrf")):
        session.pop(SESSION_KEY, None)
        _consent().unlink_user()  # the browser keeps its own choice
    return redirect(url_for(".login", lang=_lang(), out=1))


def create_customer(email: str, password: str) -> bool:
    """Store a customer (or a new password for one); True if the customer is new."""
    customer = db.session.execute(
        select(Customer).where(Customer.email == email)
    ).scalar_one_or_none()
    new = customer is None
    if customer is None:
        customer = Customer(email=email, password_hash="")
        db.session.add(customer)
    customer.password_hash = generate_password_hash(password)
    db.session.commit()
    return new


def init_customers(app: Flask) -> None:
    """The customer pages and the ``create-customer`` command."""
    app.register_blueprint(bp)

    @app.cli.command("create-customer")
    @click.argument("email")
    @click.password_option(help="Prompted for (twice, not shown) when not given.")
    def create_customer_command(email: str, password: str) -> None:
        """Make a local test customer EMAIL who can sign in at /account/login."""
        email = email.strip().lower()
        if not EMAIL.match(email):
            raise click.BadParameter("not an e-mail address", param_hint="EMAIL")
        if len(password) < MIN_PASSWORD:
            raise click.ClickException(f"the password needs at least {MIN_PASSWORD} characters")
        new = create_customer(email, password)
        click.echo(
            f"{'created' if new else 'updated the password of'} customer {email}; sign in at "
            "/account/login in two browsers: the cookie choice of one applies in the other"
        )
