"""Checking that an inbound webhook really comes from the vendor that claims to have sent it."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator, Sequence

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
