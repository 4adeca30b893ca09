"""Untrusted text made safe for Slack: mrkdwn escaping, length limits, channel names."""

from __future__ import annotations

import re
import unicodedata

CHANNEL_NAME_MAX = 80
TOPIC_MAX = 250
HEADER_MAX = 150
SECTION_MAX = 3000
FALLBACK_SLUG = "incident"


def escape_mrkdwn(text: str) -> str:
    """Escape the three characters Slack treats as control characters in mrkdwn.

    `<!channel>` becomes `&lt;!channel&gt;`, which Slack shows literally and which pings nobody.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    """At most `limit` characters, ending in an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def escaped_within(text: str, limit: int) -> str:
    """`escape_mrkdwn(text)` cut so that the escaped form fits in `limit` (no entity split)."""
    keep = limit
    while len(escaped := escape_mrkdwn(truncate(text, keep))) > limit:
        keep -= len(escaped) - limit
    return escaped


def one_line(text: str) -> str:
    return " ".join(text.split())


def _ascii_lower(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def slugify(text: str) -> str:
    """Lowercase ASCII words joined by hyphens: only characters Slack allows in channel names."""
    return re.sub(r"[^a-z0-9]+", "-", _ascii_lower(text)).strip("-")


def channel_name(rendered: str, suffix: str = "") -> str:
    """A valid Slack channel name from a rendered template, with an optional `-2` style suffix.

    Never empty (an emoji-only text becomes `incident`), never over 80 characters.
    """
    cleaned = re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9_-]+", "-", _ascii_lower(rendered)))
    cleaned = cleaned.strip("-_") or FALLBACK_SLUG
    return cleaned[: CHANNEL_NAME_MAX - len(suffix)].rstrip("-_") + suffix
