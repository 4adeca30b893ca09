"""Slack's published rate-limit tiers per Web API method, in one table.

Tiers are per method per workspace per app (https://api.slack.com/docs/rate-limits).
chat.postMessage is "special": about one message per second per channel, allowing short bursts;
the API module builds that limit from `SandboxOptions.post_message_burst`.
"""

from __future__ import annotations

from multivac.sandbox.traffic import Limit

TIER_1 = Limit(1, 60.0)
TIER_2 = Limit(20, 60.0)
TIER_3 = Limit(50, 60.0)
TIER_4 = Limit(100, 60.0)

TIERS: dict[str, Limit] = {
    "auth.test": TIER_3,
    "conversations.create": TIER_2,
    "conversations.setTopic": TIER_2,
    "conversations.setPurpose": TIER_2,
    "conversations.archive": TIER_2,
    "conversations.unarchive": TIER_2,
    "conversations.invite": TIER_3,
    "conversations.info": TIER_3,
    "conversations.members": TIER_3,
    "conversations.list": TIER_2,
    # Tier 3 for internal apps like Multivac; since May 2025 new commercially distributed apps
    # outside the Slack Marketplace get much lower limits here (docs.slack.dev rate limits).
    "conversations.history": TIER_3,
    "bookmarks.add": TIER_2,
    "bookmarks.list": TIER_3,
    "pins.add": TIER_2,
    "reactions.add": TIER_3,
    "reactions.remove": TIER_3,
    "chat.update": TIER_3,
    "chat.postEphemeral": TIER_4,
    "users.lookupByEmail": TIER_3,
    "users.info": TIER_4,
    "usergroups.users.list": TIER_2,
    "views.open": TIER_4,
    "views.update": TIER_4,
}


def post_message_limit(burst: int) -> Limit:
    """One per second per channel on average, with bursts of up to `burst` messages."""
    return Limit(burst, float(burst))
