"""Supervisor review: the flagged queue, one inspection's evidence, decisions, search, evidence packs."""

from __future__ import annotations

from flask import Flask

from web.review import audit_words, views, words


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    # Words the review templates build from stored rows (audit trail, verdicts, overrides).
    app.jinja_env.globals.update(audit_lines=audit_words.audit_lines, verdict_text=words.verdict_text,
                                 outcome_text=words.outcome_text, override_text=words.override_text,
                                 refund_text=words.refund_text, policy_reasons=words.policy_reasons)
