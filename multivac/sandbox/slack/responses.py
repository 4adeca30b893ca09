"""What users see of an app's replies: slash-command acks and posts to a `response_url`."""

from __future__ import annotations

from typing import Any

from multivac.sandbox import seed
from multivac.sandbox.slack.state import (
    RESPONSE_URL_SECONDS,
    RESPONSE_URL_USES,
    Ephemeral,
    Json,
    ResponseUrl,
    SlackWorkspace,
)


def post_to_response_url(workspace: SlackWorkspace, token: str, body: Any) -> tuple[int, Json]:
    """Apply one post to a response URL: at most five uses within thirty minutes, like Slack."""
    hook = workspace.response_urls.get(token)
    if hook is None:
        return 404, {"ok": False, "error": "invalid_url"}
    if workspace.clock() - hook.issued_at > RESPONSE_URL_SECONDS:
        return 404, {"ok": False, "error": "expired_url"}
    if hook.uses >= RESPONSE_URL_USES:
        return 404, {"ok": False, "error": "used_url"}
    if not isinstance(body, dict):
        return 400, {"ok": False, "error": "invalid_payload"}
    hook.uses += 1
    workspace.response_posts.append(
        {"token": token, "user": hook.user, "channel": hook.channel, "body": body, "use": hook.uses}
    )
    _apply(workspace, hook, body)
    return 200, {"ok": True}


def _apply(workspace: SlackWorkspace, hook: ResponseUrl, body: Json) -> None:
    channel = workspace.channels.get(hook.channel)
    messages = channel.messages if channel else []
    original = next((m for m in messages if m.ts == hook.message_ts), None)
    if original is not None and body.get("delete_original"):
        messages.remove(original)
    elif original is not None and body.get("replace_original"):
        original.text = str(body.get("text") or "")
        original.blocks = list(body.get("blocks") or [])
        original.edited = {"user": seed.SLACK_BOT_USER_ID, "ts": workspace.next_ts()}
    else:
        show(workspace, hook.channel, hook.user, body, via="response_url")


def show(workspace: SlackWorkspace, channel_id: str, user: str, reply: Json, *, via: str) -> None:
    """Show an app reply: `in_channel` posts as the bot, anything else only to `user`."""
    text, blocks = str(reply.get("text") or ""), list(reply.get("blocks") or [])
    channel = workspace.channels.get(channel_id)
    if reply.get("response_type") == "in_channel" and channel is not None:
        workspace.post(channel, seed.SLACK_BOT_USER_ID, text, blocks)
    elif text or blocks:
        shown = Ephemeral(workspace.next_ts(), channel_id, user, text, blocks, via)
        workspace.ephemeral.append(shown)
