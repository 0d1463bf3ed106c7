"""Standard Webhooks signing matches the `standardwebhooks` library byte for byte."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from station.webhooks import signing

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def test_a_signature_is_the_one_the_library_computes() -> None:
    body = b'{"type":"inspection.completed","data":{"grade":"A"}}'
    stamp = 1_700_000_000
    ours = signing.sign(SECRET, "msg_01", stamp, body)
    theirs = Webhook(SECRET).sign("msg_01", datetime.fromtimestamp(stamp, UTC), body.decode())
    assert ours == theirs


@settings(max_examples=200, deadline=None)
@given(
    body=st.text(max_size=300).map(str.encode),
    msg_id=st.from_regex(r"msg_[0-9A-Z]{1,26}", fullmatch=True),
    key=st.binary(min_size=1, max_size=64),
)
def test_the_library_verifies_every_signed_message(body: bytes, msg_id: str, key: bytes) -> None:
    import base64

    secret = "whsec_" + base64.b64encode(key).decode()
    stamp = int(time.time())
    headers = signing.headers([secret], msg_id, stamp, body)
    Webhook(secret).verify(body, headers, json_parse=False)
    signing.verify(secret, headers, body, now_s=stamp)


def test_during_rotation_both_the_old_and_the_new_secret_verify() -> None:
    new = signing.new_secret()
    body = b'{"x":1}'
    headers = signing.headers([new, SECRET], "msg_rot", int(time.time()), body)
    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(new).verify(body, headers, json_parse=False)
    Webhook(SECRET).verify(body, headers, json_parse=False)


def test_a_changed_body_fails_verification_in_the_library_and_here() -> None:
    stamp = int(time.time())
    headers = signing.headers([SECRET], "msg_t", stamp, b'{"grade":"A"}')
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(b'{"grade":"D"}', headers)
    with pytest.raises(signing.SignatureError, match="no matching"):
        signing.verify(SECRET, headers, b'{"grade":"D"}', now_s=stamp)


def test_a_stale_timestamp_or_missing_header_is_refused() -> None:
    headers = signing.headers([SECRET], "msg_old", 1_000, b"{}")
    with pytest.raises(signing.SignatureError, match="outside"):
        signing.verify(SECRET, headers, b"{}", now_s=1_000 + 301)
    del headers["webhook-id"]
    with pytest.raises(signing.SignatureError, match="missing"):
        signing.verify(SECRET, headers, b"{}", now_s=1_000)


def test_new_secrets_carry_the_prefix_and_24_key_bytes() -> None:
    secret = signing.new_secret()
    assert secret.startswith("whsec_")
    assert len(signing.secret_key(secret)) == 24
    assert secret != signing.new_secret()
