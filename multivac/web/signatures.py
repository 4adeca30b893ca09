"""Checking that an inbound webhook really comes from the vendor that claims to have sent it."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator, Mapping, Sequence

from slack_sdk.signature import Clock, SignatureVerifier

PAGERDUTY_SIGNATURE_VERSION = "v1"


def pagerduty_signature_valid(body: bytes, header: str | None, secrets: Sequence[str]) -> bool:
    """True when any `v1=<hex>` value of PagerDuty's `X-PagerDuty-Signature` header is the
    HMAC-SHA256 of the raw `body` under any of `secrets` (several during a rotation, on either
    side). Other signature versions are ignored; a missing or malformed header is simply False.
    `body` must be exactly the bytes received: re-serialised JSON does not verify.
    """
    if not header or not secrets:
        return False
    expected = [
        hmac.new(secret.encode(), body, hashlib.sha256).hexdigest().encode() for secret in secrets
    ]
    # Compare every pair without stopping early, so timing says nothing about which one matched.
    matches = [
        hmac.compare_digest(candidate, digest)
        for candidate in _v1_signatures(header)
        for digest in expected
    ]
    return any(matches)


def _v1_signatures(header: str) -> Iterator[bytes]:
    for part in header.split(","):
        version, separator, value = part.strip().partition("=")
        value = value.strip().lower()
        if separator and version.strip() == PAGERDUTY_SIGNATURE_VERSION and value:
            # Bytes, not str: compare_digest refuses non-ASCII str, and headers are untrusted.
            yield value.encode("utf-8", "replace")


def slack_request_valid(
    body: bytes, headers: Mapping[str, str], signing_secret: str, clock: Clock | None = None
) -> bool:
    """True when `X-Slack-Signature` is the v0 signature of the raw `body` under `signing_secret`
    and `X-Slack-Request-Timestamp` is within five minutes of now (slack_sdk's verifier).

    Missing headers, a timestamp that is not a number and a body that is not UTF-8 are simply
    False: the verifier would raise on the last two, and headers and body are untrusted.
    """
    verifier = SignatureVerifier(signing_secret, clock or Clock())
    try:
        return verifier.is_valid_request(body, dict(headers))
    except ValueError:  # int("abc") in the timestamp check; UnicodeDecodeError of the body
        return False
