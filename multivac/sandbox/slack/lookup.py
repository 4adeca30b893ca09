"""Finding who acts, where, and where Multivac listens; failures are `ActorError`s."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from multivac.sandbox.slack.state import Channel, SlackError, SlackWorkspace, User
from multivac.sandbox.slack.view_state import ActorError

if TYPE_CHECKING:
    from multivac.sandbox.server import Sandbox


def multivac_target(sandbox: Sandbox, override: str | None, path: str) -> str:
    """`{multivac_url}{path}`; a 409 `ActorError` when no Multivac URL is configured or given."""
    base = override or sandbox.multivac_url
    if not base:
        raise ActorError(
            'no Multivac URL: start the sandbox with multivac_url or pass "multivac_url"', 409
        )
    return base.rstrip("/") + path


def find_person(workspace: SlackWorkspace, ref: str) -> User:
    """A person (not the bot) by Slack user id or email."""
    user = workspace.users.get(ref) or workspace.user_by_email(ref)
    if user is None or user.is_bot:
        raise ActorError(f"no person {ref!r} in the Slack workspace", 404)
    return user


def channel_of(workspace: SlackWorkspace, ref: Any, who: User) -> Channel:
    """The channel `ref` (id or name; default #general) as `who` sees it."""
    try:
        return workspace.channel(str(ref or workspace.general_id), as_user=who.id)
    except SlackError:
        raise ActorError(f"{who.name} can see no channel {ref!r}", 404) from None


def slack_refusal(error: SlackError) -> ActorError:
    """A Slack rule the person's action broke (already_reacted, is_archived, ...)."""
    return ActorError(error.code, 409)
