"""The "Declare an incident" modal: its Block Kit view and the reading of its submission.

Pure (no I/O): the worker opens the view with the trigger id of `/incident declare`; the web edge
validates the submission inside Slack's 3 s ack, where field errors can still be shown.

Paging: "page the on-call of this service" is on by default for SEV1/2. A modal cannot change one
field's default when another changes without a round trip to the app, so the choice offered is
"for SEV1 and SEV2" (the default), "yes" or "no", and the severity chosen decides the first.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from multivac.incidents.text import truncate

CALLBACK_ID = "incident_declare"

TITLE_BLOCK, TITLE_ACTION = "title", "title_input"
SEVERITY_BLOCK, SEVERITY_ACTION = "severity", "severity_select"
SERVICE_BLOCK, SERVICE_ACTION = "service", "service_select"
DESCRIPTION_BLOCK, DESCRIPTION_ACTION = "description", "description_input"
LEAD_BLOCK, LEAD_ACTION = "lead", "lead_select"
OPTIONS_BLOCK, OPTIONS_ACTION = "options", "options_checkboxes"
PRIVATE_OPTION = "private"
PAGING_BLOCK, PAGING_ACTION = "paging", "paging_choice"
PAGE_IF_URGENT, PAGE_ALWAYS, PAGE_NEVER = "urgent", "yes", "no"
URGENT_SEVERITIES = ("SEV1", "SEV2")

TITLE_REQUIRED = "Give the incident a title"
SEVERITY_REQUIRED = "Pick a severity"

# Slack's limits (Block Kit reference): modal title 24 chars, option text 75, select 100 options,
# plain_text_input up to 3,000 chars, private_metadata 3,000 chars.
MODAL_TITLE_MAX = 24
OPTION_TEXT_MAX = 75
SELECT_OPTIONS_MAX = 100
TITLE_MAX = 150
DESCRIPTION_MAX = 3000

SEVERITY_CHOICES: tuple[tuple[str, str], ...] = (
    ("SEV1", "SEV1 — Critical: customers can't use a core product; all hands"),
    ("SEV2", "SEV2 — Major: a core feature is broken or slow for many customers"),
    ("SEV3", "SEV3 — Minor: some customers affected, a workaround exists"),
    ("SEV4", "SEV4 — Low: little customer impact; fix in working hours"),
)
_SEVERITIES = frozenset(value for value, _ in SEVERITY_CHOICES)


@dataclass(frozen=True)
class DeclareRequest:
    """A valid submission of the modal: what the declarer asked for."""

    title: str
    severity: str  # "SEV1".."SEV4"
    service_id: str | None  # a PagerDuty service id; None when none was chosen
    description: str
    lead_user_id: str  # Slack user id; the declarer unless they chose someone else
    page: bool
    private: bool
    declarer_id: str
    channel_id: str  # where /incident was run; "" when unknown


def declare_view(
    *, title: str, services: Sequence[tuple[str, str]], declarer_id: str, channel_id: str
) -> dict[str, Any]:
    """The modal for views.open. `services` are PagerDuty (id, name) pairs in the order to show;
    only the first 100 fit a select, and the service field is left out when there are none.
    The channel the command ran in travels in `private_metadata`."""
    blocks = [
        _title_block(title),
        _severity_block(),
        *([_service_block(services)] if services else []),
        _description_block(),
        _lead_block(declarer_id),
        _paging_block(),
        _options_block(),
    ]
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "private_metadata": json.dumps({"channel_id": channel_id}),
        "title": _plain("Declare an incident"),
        "submit": _plain("Declare"),
        "close": _plain("Cancel"),
        "blocks": blocks,
    }


def parse_submission(payload: dict[str, Any]) -> DeclareRequest | dict[str, str]:
    """The request in a view_submission payload, or Slack field errors keyed by block id (for an
    ack of `{"response_action": "errors", "errors": ...}`). Tolerates missing fields."""
    view = _mapping(payload.get("view"))
    values = _mapping(_mapping(view.get("state")).get("values"))
    title = _text(_field(values, TITLE_BLOCK, TITLE_ACTION))
    severity = _selected_value(_field(values, SEVERITY_BLOCK, SEVERITY_ACTION))
    errors: dict[str, str] = {}
    if not title:
        errors[TITLE_BLOCK] = TITLE_REQUIRED
    if severity not in _SEVERITIES:
        errors[SEVERITY_BLOCK] = SEVERITY_REQUIRED
    if errors:
        return errors
    declarer_id = str(_mapping(payload.get("user")).get("id") or "")
    chosen = _mapping(_mapping(values.get(OPTIONS_BLOCK)).get(OPTIONS_ACTION))
    ticked = {_mapping(o).get("value") for o in chosen.get("selected_options") or []}
    paging = _selected_value(_field(values, PAGING_BLOCK, PAGING_ACTION)) or PAGE_IF_URGENT
    lead = _field(values, LEAD_BLOCK, LEAD_ACTION).get("selected_user")
    return DeclareRequest(
        title=title,
        severity=str(severity),
        service_id=_selected_value(_field(values, SERVICE_BLOCK, SERVICE_ACTION)),
        description=_text(_field(values, DESCRIPTION_BLOCK, DESCRIPTION_ACTION)),
        lead_user_id=str(lead or declarer_id),
        page=paging == PAGE_ALWAYS or (paging == PAGE_IF_URGENT and severity in URGENT_SEVERITIES),
        private=PRIVATE_OPTION in ticked,
        declarer_id=declarer_id,
        channel_id=_channel_id(view.get("private_metadata")),
    )


# --- blocks ------------------------------------------------------------------------------------


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _option(value: str, text: str) -> dict[str, Any]:
    return {"text": _plain(truncate(text, OPTION_TEXT_MAX)), "value": value}


def _input(block_id: str, label: str, element: dict[str, Any], *, optional: bool) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block_id,
        "label": _plain(label),
        "optional": optional,
        "element": element,
    }


def _title_block(title: str) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": TITLE_ACTION,
        "max_length": TITLE_MAX,
        "placeholder": _plain("What is broken, for whom?"),
    }
    if title.strip():
        element["initial_value"] = truncate(" ".join(title.split()), TITLE_MAX)
    return _input(TITLE_BLOCK, "Title", element, optional=False)


def _severity_block() -> dict[str, Any]:
    element = {
        "type": "static_select",
        "action_id": SEVERITY_ACTION,
        "placeholder": _plain("How bad is it?"),
        "options": [_option(value, text) for value, text in SEVERITY_CHOICES],
    }
    return _input(SEVERITY_BLOCK, "Severity", element, optional=False)


def _service_block(services: Sequence[tuple[str, str]]) -> dict[str, Any]:
    element = {
        "type": "static_select",
        "action_id": SERVICE_ACTION,
        "placeholder": _plain("The PagerDuty service"),
        "options": [_option(sid, name) for sid, name in services[:SELECT_OPTIONS_MAX]],
    }
    return _input(SERVICE_BLOCK, "Affected service", element, optional=True)


def _description_block() -> dict[str, Any]:
    element = {
        "type": "plain_text_input",
        "action_id": DESCRIPTION_ACTION,
        "multiline": True,
        "max_length": DESCRIPTION_MAX,
        "placeholder": _plain("What do we know so far?"),
    }
    return _input(DESCRIPTION_BLOCK, "Description", element, optional=True)


def _lead_block(declarer_id: str) -> dict[str, Any]:
    element = {"type": "users_select", "action_id": LEAD_ACTION}
    if declarer_id:
        element["initial_user"] = declarer_id
    return _input(LEAD_BLOCK, "Incident lead", element, optional=True)


def _paging_block() -> dict[str, Any]:
    choices = [
        _option(PAGE_IF_URGENT, "For SEV1 and SEV2"),
        _option(PAGE_ALWAYS, "Yes"),
        _option(PAGE_NEVER, "No"),
    ]
    element = {
        "type": "radio_buttons",
        "action_id": PAGING_ACTION,
        "options": choices,
        "initial_option": choices[0],
    }
    return _input(PAGING_BLOCK, "Page the on-call of this service", element, optional=True)


def _options_block() -> dict[str, Any]:
    element = {
        "type": "checkboxes",
        "action_id": OPTIONS_ACTION,
        "options": [_option(PRIVATE_OPTION, "Private channel")],
    }
    return _input(OPTIONS_BLOCK, "Options", element, optional=True)


# --- reading the submission --------------------------------------------------------------------


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _field(values: dict[str, Any], block_id: str, action_id: str) -> dict[str, Any]:
    return _mapping(_mapping(values.get(block_id)).get(action_id))


def _text(state: dict[str, Any]) -> str:
    value = state.get("value")
    return value.strip() if isinstance(value, str) else ""


def _selected_value(state: dict[str, Any]) -> str | None:
    value = _mapping(state.get("selected_option")).get("value")
    return str(value) if value else None


def _channel_id(metadata: object) -> str:
    try:
        decoded = json.loads(metadata) if isinstance(metadata, str) else {}
    except ValueError:
        return ""
    return str(_mapping(decoded).get("channel_id") or "")
