"""What a person "typed" into a modal or clicked in a message, in Slack's payload shapes.

`state_values` builds `view.state.values` for a view_submission; `clicked_action` builds one entry
of `actions` for a block_actions payload. Both refuse what a real Slack client would not allow.
"""

from __future__ import annotations

import time
from typing import Any

from multivac.sandbox.slack.state import Json

SELECTED_KEY = {
    "users_select": "selected_user",
    "multi_users_select": "selected_users",
    "conversations_select": "selected_conversation",
    "multi_conversations_select": "selected_conversations",
    "channels_select": "selected_channel",
    "multi_channels_select": "selected_channels",
    "datepicker": "selected_date",
    "timepicker": "selected_time",
    "datetimepicker": "selected_date_time",
}
SINGLE_OPTION = ("static_select", "external_select", "radio_buttons", "overflow")
MULTI_OPTION = ("multi_static_select", "multi_external_select", "checkboxes")


class ActorError(Exception):
    """The emulated person cannot do that; answered as `{"error": message}` with `status`."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def state_values(blocks: list[Json], given: dict[str, Any]) -> Json:
    """`{block_id: {action_id: value}}` for every input block; `given` is keyed by action_id or
    block_id. Unknown keys and empty required inputs are refused, as the Slack client would."""
    values: Json = {}
    used: set[str] = set()
    for index, block in enumerate(b for b in blocks if b.get("type") == "input"):
        element: Json = block.get("element") or {}
        block_id = str(block.get("block_id") or f"input{index}")
        action_id = str(element.get("action_id") or f"action{index}")
        key = action_id if action_id in given else block_id
        value = given.get(key)
        used.add(key)
        if value in (None, "", []) and not block.get("optional", False):
            raise ActorError(f"required input {block_id}.{action_id} has no value")
        values[block_id] = {action_id: element_value(element, value)}
    unknown = set(given) - used
    if unknown:
        raise ActorError(f"the view has no input {', '.join(sorted(unknown))}")
    return values


def element_value(element: Json, value: Any) -> Json:
    kind = str(element.get("type", "plain_text_input"))
    if kind in SELECTED_KEY:
        return {"type": kind, SELECTED_KEY[kind]: value}
    if kind in SINGLE_OPTION:
        return {"type": kind, "selected_option": None if value is None else option(element, value)}
    if kind in MULTI_OPTION:
        chosen = value if isinstance(value, list) else [] if value is None else [value]
        return {"type": kind, "selected_options": [option(element, v) for v in chosen]}
    return {"type": kind, "value": None if value is None else str(value)}


def option(element: Json, value: Any) -> Json:
    """The element's option with this value (external selects accept any value)."""
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    found = next((o for o in options if o.get("value") == str(value)), None)
    if found is not None:
        return dict(found)
    if "external" in str(element.get("type")):
        return {"text": {"type": "plain_text", "text": str(value)}, "value": str(value)}
    raise ActorError(f"{element.get('action_id')} has no option {value!r}")


def clicked_action(blocks: list[Json], action_id: str, value: Any = None) -> Json:
    """The `actions[0]` of a block_actions payload for the interactive element `action_id`."""
    for index, block in enumerate(blocks):
        elements = list(block.get("elements") or [])
        if isinstance(block.get("accessory"), dict):
            elements.append(block["accessory"])
        for element in elements:
            if element.get("action_id") == action_id:
                block_id = str(block.get("block_id") or f"block{index}")
                return _action(element, block_id, value)
    raise ActorError(f"no interactive element with action_id {action_id!r} to click")


def _action(element: Json, block_id: str, value: Any) -> Json:
    kind = str(element.get("type", "button"))
    action: Json = {
        "type": kind,
        "action_id": element["action_id"],
        "block_id": block_id,
        "action_ts": f"{time.time():.6f}",
    }
    if kind == "button":
        action["text"] = element.get("text")
        action["value"] = element.get("value", "") if value is None else str(value)
        if element.get("style"):
            action["style"] = element["style"]
        return action
    return action | {k: v for k, v in element_value(element, value).items() if k != "type"}
