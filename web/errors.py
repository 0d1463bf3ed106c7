"""Error pages for people (HTML, in their language); the API keeps its problem+json."""

from __future__ import annotations

from flask import render_template
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

MESSAGES = {
    400: _l("The request was not understood. Go back and try again."),
    401: _l("Please sign in."),
    403: _l("You are signed in, but this page is not for your role."),
    404: _l("Nothing here. Go back to the bench."),
    405: _l("That action is not possible here."),
    413: _l("That upload is too large."),
    423: _l("The bench is locked. Unlock it with your badge and PIN."),
    429: _l("Too many requests. Wait a moment and try again."),
    503: _l("The station database is busy. Nothing was saved: try again in a moment."),
}


def error_page(exc: HTTPException) -> Response:
    status = exc.code or 500
    message = MESSAGES.get(status, _l("Something went wrong. The work done so far is saved."))
    page = render_template("error.html", status=status, message=message)
    return Response(page, status=status, mimetype="text/html")
