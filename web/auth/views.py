"""Sign-in (badge + PIN, or password), sign-out, idle lock and unlock, language switch; sessions end on the server."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from web.app import station_context
from web.auth import sessions
from web.auth.forms import ActionForm, BadgeForm, LanguageForm, PasswordForm
from web.auth.roles import safe_next
from web.auth.throttle import LoginThrottle
from web.auth.users import BenchUser, check_badge, check_password, set_locale

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _throttle() -> LoginThrottle:
    throttle: LoginThrottle = current_app.extensions["login_throttle"]
    return throttle


def _home() -> str:
    return url_for("bench.home")


def _clear_cookie_session() -> None:
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def _start_session(user: BenchUser, how: str) -> None:
    """A new server-side session (and cookie token) for ``user``; the browser's previous session
    ends: ``locked_out`` when it was locked (the lock screen's unlock), else ``signed_out``."""
    previous = current_user.signin_id if current_user.is_authenticated else ""
    previous_locked = bool(current_user.is_authenticated and current_user.locked)
    token = sessions.new_token()
    ctx = station_context(current_app)
    with ctx.work() as work:
        if previous:
            sessions.end(work.session, previous, "locked_out" if previous_locked else "signed_out")
        sessions.prune(work.session)
        signin_id = sessions.start(work.session, user.operator_id, token)
        work.audit(actor=user.actor, action="operator.signed_in", entity_type="operator",
                   entity_id=user.operator_id, data={"how": how, "address": request.remote_addr or ""},
                   station_id=ctx.settings.station.id)
    _clear_cookie_session()
    login_user(replace(user, session_id=sessions.cookie_id(user.operator_id, token), signin_id=signin_id))
    session["seen"] = time.time()


def _attempt(keys: tuple[str, ...], check: Callable[[], BenchUser | None]) -> tuple[BenchUser | None, int]:
    """Run ``check`` (argon2) only when no key is locked out and each has a try left (reserved
    atomically first); returns the person and the seconds to wait."""
    return _throttle().attempt(keys, check)


def _refusal(wait: int, wrong: str) -> tuple[str, int]:
    """The message and status of a refused sign-in."""
    if wait:
        return _("Too many wrong attempts. Try again in %(seconds)d s.", seconds=wait), 429
    return wrong, 401


def _badge_sign_in(form: BadgeForm) -> tuple[BenchUser | None, int]:
    badge, pin = form.badge.data.strip(), form.pin.data
    db = station_context(current_app).db
    return _attempt((f"badge:{badge}", f"ip:{request.remote_addr}"), lambda: check_badge(db, badge, pin))


def _password_sign_in(form: PasswordForm) -> tuple[BenchUser | None, int]:
    username, password = form.username.data.strip().lower(), form.password.data
    db = station_context(current_app).db
    return _attempt((f"user:{username}", f"ip:{request.remote_addr}"),
                    lambda: check_password(db, username, password))


def _sign_in_page(form: BadgeForm | PasswordForm, template: str, how: str, wrong: str,
                  check: Callable[[Any], tuple[BenchUser | None, int]]) -> Response:
    """GET shows the form; a valid POST signs in (or says why not, throttled); a bad one is 400."""
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    status = 200
    if form.validate_on_submit():
        user, wait = check(form)
        if user is not None:
            _start_session(user, how)
            return redirect(safe_next(form.next.data, _home()))
        message, status = _refusal(wait, wrong)
        flash(message, "error")
    elif request.method == "POST":
        status = 400
    page = render_template(template, form=form, lang_form=LanguageForm())
    return Response(page, status=status, mimetype="text/html")


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Response:
    return _sign_in_page(BadgeForm(), "auth/sign_in.html", "badge", _("Badge or PIN not recognised."),
                         _badge_sign_in)


@bp.route("/password", methods=["GET", "POST"])
def password_sign_in() -> Response:
    return _sign_in_page(PasswordForm(), "auth/password.html", "password",
                         _("User name or password not recognised."), _password_sign_in)


@bp.post("/sign-out")
def sign_out() -> Response:
    """Ends the session on the server (a saved copy of the cookie stops working) and in the cookie."""
    form = ActionForm()
    if form.validate_on_submit() and current_user.is_authenticated:
        sessions.end_now(station_context(current_app).work, current_user.signin_id, "signed_out")
        logout_user()
    _clear_cookie_session()
    return redirect(url_for("auth.sign_in"))


@bp.route("/lock", methods=["GET", "POST"])
def lock_screen() -> Response | str:
    """The locked bench: the same (or another) person unlocks with badge + PIN or password.

    Locking is kept on the server: until an unlock starts a new session, this session's cookie
    (and any copy of it) reaches only this screen.
    """
    if not current_user.is_authenticated:
        return redirect(url_for("auth.sign_in"))
    session["locked"] = True  # this browser, even if the database is busy right now
    if not current_user.locked:
        sessions.lock(station_context(current_app).work, current_user.signin_id)
    if request.method == "POST" and ActionForm().validate_on_submit():
        return redirect(url_for("auth.lock_screen"))
    return render_template("auth/lock.html", form=BadgeForm(), password_form=PasswordForm(),
                           lang_form=LanguageForm())


def _unlock_with(form: BadgeForm | PasswordForm, wrong: str,
                 check: Callable[[Any], tuple[BenchUser | None, int]]) -> Response:
    status = 400
    if form.validate_on_submit():
        user, wait = check(form)
        if user is not None:
            _start_session(user, "unlock")
            return redirect(_home())
        message, status = _refusal(wait, wrong)
        flash(message, "error")
    forms: dict[str, object] = {"form": BadgeForm(), "password_form": PasswordForm(),
                                "lang_form": LanguageForm()}
    forms["password_form" if isinstance(form, PasswordForm) else "form"] = form
    return Response(render_template("auth/lock.html", **forms), status=status, mimetype="text/html")


@bp.post("/unlock")
def unlock() -> Response:
    """Badge + PIN (or password for supervisors); another person's badge switches the bench to them."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.sign_in"))
    if request.form.get("password") is not None:
        return _unlock_with(PasswordForm(), _("User name or password not recognised."), _password_sign_in)
    return _unlock_with(BadgeForm(), _("Badge or PIN not recognised."), _badge_sign_in)


@bp.post("/language")
def language() -> Response:
    """Switch the language on screen; a signed-in person keeps it as their own."""
    form = LanguageForm()
    if form.validate_on_submit():
        session["lang"] = form.lang.data
        if current_user.is_authenticated:
            set_locale(station_context(current_app).db, current_user.operator_id, form.lang.data)
    return redirect(safe_next(form.next.data, _home()))
