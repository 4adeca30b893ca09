"""Only a sender holding one of our webhook secrets gets a delivery past the signature check."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from multivac.web.signatures import pagerduty_signature_valid

BODY = b'{"event": {"id": "01DEN4HPBQAAAG05V5QQYBRZMF", "event_type": "incident.triggered"}}'
OLD_SECRET = "old-webhook-secret"
NEW_SECRET = "new-webhook-secret"


def v1(body: bytes, secret: str) -> str:
    """What PagerDuty puts in `X-PagerDuty-Signature` for one secret."""
    return "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@pytest.mark.parametrize("signer", [OLD_SECRET, NEW_SECRET])
def test_a_body_signed_with_either_configured_secret_is_valid(signer: str) -> None:
    assert pagerduty_signature_valid(BODY, v1(BODY, signer), [OLD_SECRET, NEW_SECRET])


def test_a_header_with_several_signatures_is_valid_when_only_the_second_matches() -> None:
    header = f"{v1(BODY, 'a-secret-we-never-had')}, {v1(BODY, NEW_SECRET)}"
    assert pagerduty_signature_valid(BODY, header, [NEW_SECRET])


def test_signatures_of_other_versions_are_ignored_next_to_a_matching_v1() -> None:
    digest = v1(BODY, NEW_SECRET).removeprefix("v1=")
    assert not pagerduty_signature_valid(BODY, f"v2={digest}", [NEW_SECRET])
    assert pagerduty_signature_valid(BODY, f"v2=abc,v1={digest}", [NEW_SECRET])


def test_a_signature_made_with_another_secret_is_refused() -> None:
    assert not pagerduty_signature_valid(BODY, v1(BODY, "attacker-secret"), [OLD_SECRET])


def test_a_body_changed_after_signing_is_refused() -> None:
    tampered = BODY.replace(b"incident.triggered", b"incident.resolved")
    assert not pagerduty_signature_valid(tampered, v1(BODY, OLD_SECRET), [OLD_SECRET])


def test_re_serialised_json_does_not_verify() -> None:
    spaced = BODY.replace(b'": ', b'":')
    assert not pagerduty_signature_valid(spaced, v1(BODY, OLD_SECRET), [OLD_SECRET])


@pytest.mark.parametrize("header", [None, ""])
def test_a_missing_signature_is_refused(header: str | None) -> None:
    assert not pagerduty_signature_valid(BODY, header, [OLD_SECRET])


def test_no_configured_secret_accepts_nothing() -> None:
    assert not pagerduty_signature_valid(BODY, v1(BODY, OLD_SECRET), [])


@pytest.mark.parametrize(
    "header",
    [
        "v1=",
        "v1",
        "=",
        ",,,",
        "v2=abc",
        "garbage",
        "v1=not-hex-at-all",
        "v1=é√ non-ascii ☃",
        "v1=" + "0" * 64,
        "v1==" + "f" * 64,
        "\x00v1=\x00",
    ],
)
def test_malformed_signature_headers_are_refused_without_raising(header: str) -> None:
    assert pagerduty_signature_valid(BODY, header, [OLD_SECRET]) is False
