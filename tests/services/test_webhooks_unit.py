"""Webhook pieces on their own: signing, the CloudEvents binding, backoff, sealed secrets."""

from __future__ import annotations

import base64
import json
import os
import random
import stat
from pathlib import Path

import pytest
from cloudevents.core.bindings import http as ce_http

from services.crypto.keyring import KeyRing
from services.settings import Settings
from services.webhooks import binding, signing
from services.webhooks.lanes import backoff
from services.webhooks.models import matches
from services.webhooks.secrets import SecretBox, SecretKeyError, secret_box

EVENT = {
    "specversion": "1.0",
    "id": "01M8D30NJ44G962JVCCHKVFJ8A:3",
    "source": "/claimflow/claim-workflow",
    "type": "claimflow.claim.scrubbed.v1",
    "subject": "01M8D30NJ44G962JVCCHKVFJ8A",
    "time": "2026-11-02T12:00:00Z",
    "datacontenttype": "application/json",
    "comment": "a café 100%",  # an extension attribute that needs percent-encoding
    "data": {"claim_id": "01M8D30NJ44G962JVCCHKVFJ8A", "seq": 3, "payer_id": "P1"},
}


def envelope() -> binding.Envelope:
    env = binding.read_envelope(json.dumps(EVENT).encode())
    assert env is not None
    return env


def test_structured_mode_sends_the_record_as_it_is() -> None:
    headers, body = binding.render(envelope(), "structured")
    assert body == json.dumps(EVENT).encode()
    event = ce_http.from_structured_event(ce_http.HTTPMessage(headers, body))
    assert event.get_id() == EVENT["id"]


def test_binary_mode_puts_attributes_in_headers() -> None:
    headers, body = binding.render(envelope(), "binary")
    assert headers["ce-id"] == EVENT["id"] and headers["content-type"] == "application/json"
    assert headers["ce-comment"] == "a%20caf%C3%A9%20100%25"
    assert json.loads(body) == EVENT["data"]
    event = ce_http.from_binary_event(ce_http.HTTPMessage(headers, body))
    assert event.get_extension("comment") == "a café 100%"
    assert event.get_subject() == EVENT["subject"]


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"[]",
        b'{"specversion": "0.3", "id": "a", "type": "t", "subject": "s"}',
        b'{"specversion": "1.0", "id": "a", "type": "t"}',
    ],
)
def test_records_that_are_not_our_cloudevents_are_not_delivered(raw: bytes) -> None:
    assert binding.read_envelope(raw) is None


def test_matching_by_type_pattern_and_payer() -> None:
    assert matches(["claimflow.claim.*.v1"], [], "claimflow.claim.paid.v1", "P")
    assert not matches(["claimflow.claim.*.v1"], [], "claimflow.claim.paid.v2", "P")
    assert not matches(["claimflow.claim.paid.v1"], [], "claimflow.claim.denied.v1", "P")
    assert not matches(["claimflow.claim.*.v1"], ["OTHER"], "claimflow.claim.paid.v1", "P")


def test_signature_is_the_standard_webhooks_one() -> None:
    from standardwebhooks import Webhook

    secret = signing.new_secret()
    headers = signing.headers(secret, "m1", b'{"a":1}')
    Webhook(secret).verify(b'{"a":1}', headers)
    for tampered in (b'{"a":2}', b'{"a":1} '):
        with pytest.raises(signing.VerificationFailed, match="no signature matches"):
            signing.verify(secret, headers, tampered)
    with pytest.raises(signing.VerificationFailed, match="needed"):
        signing.verify(secret, {"webhook-id": "m1"}, b"{}")


@pytest.mark.parametrize(
    ("secret", "rule"),
    [
        ("abc", "starts with 'whsec_'"),
        ("whsec_!!!", "is base64"),
        ("whsec_" + base64.b64encode(b"short").decode(), "24 to 64 random bytes"),
    ],
)
def test_bad_secrets_are_refused_naming_the_rule(secret: str, rule: str) -> None:
    with pytest.raises(signing.InvalidSecret, match=rule):
        signing.secret_key(secret)


def test_backoff_doubles_is_capped_and_jittered() -> None:
    rng = random.Random(1)
    waits = [backoff(n, initial=1.0, cap=8.0, rng=rng) for n in range(1, 7)]
    for n, wait in enumerate(waits, start=1):
        base = min(8.0, 2.0 ** (n - 1))
        assert base / 2 <= wait <= base
    assert len({round(w, 6) for w in waits}) == len(waits)  # jittered, not lockstep


def test_secrets_are_sealed_with_the_data_key_ring(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path)
    box = secret_box(settings)
    assert stat.S_IMODE(os.stat(settings.resolved_key_file).st_mode) == 0o600
    sealed = box.seal("whsec_x", subscription_id="s1")
    assert "whsec_x" not in sealed
    assert secret_box(settings).open(sealed, subscription_id="s1") == "whsec_x"
    with pytest.raises(SecretKeyError, match="copied"):
        box.open(sealed, subscription_id="s2")


def test_a_sealed_secret_survives_key_rotation(tmp_path: Path) -> None:
    old = KeyRing.generate()
    sealed = SecretBox(old).seal("whsec_y", subscription_id="s1")
    newer = KeyRing.generate()
    rotated = KeyRing(newer.active, {**old.keys, **newer.keys})
    assert SecretBox(rotated).open(sealed, subscription_id="s1") == "whsec_y"
    with pytest.raises(SecretKeyError, match="missing key"):
        SecretBox(newer).open(sealed, subscription_id="s1")


def test_the_readme_shows_the_example_receivers_verify() -> None:
    """README.md's ten-line verify() is the tested one in examples/webhook_receiver.py."""
    import inspect
    import textwrap

    from examples.webhook_receiver import verify
    from services.settings import REPO_ROOT

    readme = (REPO_ROOT / "README.md").read_text()
    start = readme.index("  def verify(")
    block = textwrap.dedent(readme[start : readme.index("  ```", start)])
    assert block == inspect.getsource(verify)
    assert len(block.strip().splitlines()) <= 11  # the signature and ten lines
