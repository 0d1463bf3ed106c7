"""Sign-in forms (Flask-WTF: every one carries a CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import AnyOf, DataRequired, Length, Regexp

from web.i18n import LANGUAGE_NAMES


class BadgeForm(FlaskForm):
    badge = StringField(_l("Badge"), validators=[DataRequired(), Length(max=100)])
    pin = PasswordField(_l("PIN"), validators=[
        DataRequired(), Regexp(r"^\d{4,8}$", message=_l("The PIN is 4 to 8 digits."))])
    next = HiddenField()


class PasswordForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=50)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    next = HiddenField()


class LanguageForm(FlaskForm):
    lang = StringField(validators=[DataRequired(), AnyOf(list(LANGUAGE_NAMES))])
    next = HiddenField()


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""
