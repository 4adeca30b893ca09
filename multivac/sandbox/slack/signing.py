"""Signing outbound requests exactly as Slack signs them (v0 HMAC-SHA256 of `v0:{ts}:{body}`)."""

from __future__ import annotations

import time

from slack_sdk.signature import SignatureVerifier

from multivac.sandbox import credentials

USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"


def signed_headers(body: str, content_type: str, timestamp: int | None = None) -> dict[str, str]:
    """Headers for a request with this exact raw `body`, signed with the sandbox's secret."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    verifier = SignatureVerifier(credentials.SLACK_SIGNING_SECRET)
    signature = verifier.generate_signature(timestamp=stamp, body=body)
    return {
        "Content-Type": content_type,
        "User-Agent": USER_AGENT,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature or "",
    }
