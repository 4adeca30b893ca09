"""How Slack's failures become typed errors: the one place that reads Slack's error codes.

Slack answers most failures with HTTP 200 and `{"ok": false, "error": code}`; slack_sdk raises
`SlackApiError` for those and for any non-200. Rate limits (429 or `ratelimited`) carry
`Retry-After`; 5xx and Slack's own "try again" codes are transient; the rest are refusals with a
message fit for people.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from http.client import HTTPException
from typing import Any

from slack_sdk.errors import SlackApiError

from multivac.integrations.errors import (
    IntegrationError,
    NameTaken,
    NotFound,
    RateLimited,
    Rejected,
    Transient,
    TriggerExpired,
)

SERVICE = "slack"

_NOT_FOUND = frozenset(
    {
        "channel_not_found",
        "user_not_found",
        "users_not_found",
        "message_not_found",
        "no_such_subteam",
        "subteam_not_found",
        "not_found",
        "view_not_found",
        "bookmark_not_found",
    }
)
_TRANSIENT = frozenset({"fatal_error", "internal_error", "service_unavailable", "request_timeout"})
_RATE_LIMITED = frozenset({"ratelimited", "rate_limited"})
_TRIGGER = frozenset(
    {
        "expired_trigger_id",
        "trigger_expired",
        "exchanged_trigger_id",
        "trigger_exchanged",
        "invalid_trigger_id",
    }
)
_AUTH = "Slack refused Multivac's bot token; check MULTIVAC_SLACK__BOT_TOKEN."
_NAME_RULES = (
    "Channel names may only contain lowercase letters, numbers, hyphens and underscores, "
    "and must be 80 characters or fewer."
)
_MESSAGES: Mapping[str, str] = {
    "name_taken": "A channel with that name already exists.",
    "invalid_name": _NAME_RULES,
    "invalid_name_specials": _NAME_RULES,
    "invalid_name_maxlength": _NAME_RULES,
    "invalid_name_punctuation": "A channel name cannot be made of punctuation only.",
    "invalid_name_required": "A channel name is required.",
    "too_long": "That text is too long for Slack (topics and purposes take 250 characters).",
    "msg_too_long": "That message is too long for Slack.",
    "is_archived": "The channel is archived.",
    "not_in_channel": "Multivac is not a member of that channel.",
    "user_not_in_channel": "That person is not a member of the channel.",
    "restricted_action": "The workspace's settings do not allow Multivac to do that.",
    "invalid_blocks": "Slack could not read the message layout (blocks).",
    "invalid_metadata_format": "Slack could not read the message's metadata.",
    "invalid_metadata_schema": "Message metadata needs an event type and a payload object.",
    "metadata_too_large": "The message's metadata is too large for Slack.",
    "view_too_large": "The form is too large for Slack.",
    "invalid_link": "Bookmarks need a link starting with http:// or https://.",
    "too_many_bookmarks": "The channel has as many bookmarks as Slack allows.",
    "cant_archive_general": "The workspace's general channel cannot be archived.",
    "invalid_auth": _AUTH,
    "not_authed": _AUTH,
    "account_inactive": _AUTH,
    "token_revoked": _AUTH,
    "token_expired": _AUTH,
    "expired_trigger_id": "That button or command is too old; please try again.",
    "trigger_expired": "That button or command is too old; please try again.",
    "exchanged_trigger_id": "That button or command was already used; please try again.",
    "trigger_exchanged": "That button or command was already used; please try again.",
    "invalid_trigger_id": "Slack did not recognise that interaction; please try again.",
}


def error_code(error: SlackApiError) -> str:
    data = error.response.data
    code = data.get("error") if isinstance(data, dict) else None
    return str(code or f"http_{error.response.status_code}")


def _retry_after(headers: Mapping[str, Any]) -> float:
    for name, value in headers.items():
        if name.lower() == "retry-after":
            try:
                return max(1.0, float(value[0] if isinstance(value, list) else value))
            except (TypeError, ValueError):
                break
    return 1.0


def map_slack_error(error: SlackApiError) -> IntegrationError:
    """The typed error for a failed Web API call (an HTTP error or an `ok: false` body)."""
    status = error.response.status_code
    code = error_code(error)
    if status == 429 or code in _RATE_LIMITED:
        return RateLimited(SERVICE, _retry_after(error.response.headers))
    if status >= 500 or code in _TRANSIENT:
        return Transient(SERVICE, f"Slack had a problem ({code}); try again shortly.")
    if code in _NOT_FOUND:
        return NotFound(SERVICE, f"Slack could not find it ({code}).", code=code)
    return _refusal(error, code)


def _refusal(error: SlackApiError, code: str) -> Rejected:
    if code == "missing_scope":
        needed = error.response.get("needed") if isinstance(error.response.data, dict) else None
        return Rejected(SERVICE, code, f"The Slack app lacks the permission {needed or '?'}.")
    message = _MESSAGES.get(code, f"Slack refused the request ({code}).")
    if code == "name_taken":
        return NameTaken(SERVICE, code, message)
    if code in _TRIGGER:
        return TriggerExpired(SERVICE, code, message)
    return Rejected(SERVICE, code, message)


@contextmanager
def slack_errors(*, success: Collection[str] = ()) -> Iterator[None]:
    """Translate anything slack_sdk raises into typed errors; codes in `success` are swallowed."""
    try:
        yield
    except SlackApiError as error:
        if error_code(error) in success:
            return
        raise map_slack_error(error) from error
    except (OSError, HTTPException) as error:  # urllib: URLError, timeouts, resets
        raise Transient(SERVICE, f"could not reach Slack ({error})") from error
