"""The modals behind the summary message's Resolve and Change severity buttons, and the reading of
their submissions. Pure: no I/O. The incident id travels in `private_metadata`."""

from __future__ import annotations

from typing import Any

from multivac.incidents.declare_modal import SEVERITY_CHOICES
from multivac.incidents.text import escape_mrkdwn, one_line, truncate
from multivac.store.models import Incident

RESOLVE_CALLBACK = "incident_resolve"
SEVERITY_CALLBACK = "incident_severity"
SUMMARY_BLOCK, SUMMARY_ACTION = "summary", "summary_input"
SEVERITY_BLOCK, SEVERITY_ACTION = "severity", "severity_select"
SUMMARY_MAX = 300
CONTEXT_MAX = 200


def resolve_view(incident: Incident) -> dict[str, Any]:
    element = {
        "type": "plain_text_input",
        "action_id": SUMMARY_ACTION,
        "max_length": SUMMARY_MAX,
        "placeholder": _plain("What happened and what fixed it, in one line"),
    }
    return _modal(
        RESOLVE_CALLBACK,
        incident,
        "Resolve incident",
        "Resolve",
        _input(SUMMARY_BLOCK, "Summary", element),
    )


def severity_view(incident: Incident) -> dict[str, Any]:
    options = [_option(value, text) for value, text in SEVERITY_CHOICES]
    element: dict[str, Any] = {"type": "static_select", "action_id": SEVERITY_ACTION}
    element["options"] = options
    current = next((o for o in options if o["value"] == incident.severity), None)
    if current is not None:
        element["initial_option"] = current
    return _modal(
        SEVERITY_CALLBACK,
        incident,
        "Change severity",
        "Change",
        _input(SEVERITY_BLOCK, "Severity", element),
    )


def submitted_incident(payload: dict[str, Any]) -> int | None:
    metadata = str(_view(payload).get("private_metadata") or "")
    return int(metadata) if metadata.isdigit() else None


def submitted_summary(payload: dict[str, Any]) -> str:
    value = _state(payload, SUMMARY_BLOCK, SUMMARY_ACTION).get("value")
    return one_line(value) if isinstance(value, str) else ""


def submitted_severity(payload: dict[str, Any]) -> str | None:
    selected = _state(payload, SEVERITY_BLOCK, SEVERITY_ACTION).get("selected_option")
    value = selected.get("value") if isinstance(selected, dict) else None
    return value if value in {v for v, _ in SEVERITY_CHOICES} else None


def _modal(
    callback_id: str, incident: Incident, title: str, submit: str, field: dict[str, Any]
) -> dict[str, Any]:
    about = escape_mrkdwn(truncate(one_line(incident.title), CONTEXT_MAX))
    context = f"*{incident.severity or 'SEV?'}* · {about}"
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": str(incident.id),
        "title": _plain(title),
        "submit": _plain(submit),
        "close": _plain("Cancel"),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": context}}, field],
    }


def _input(block_id: str, label: str, element: dict[str, Any]) -> dict[str, Any]:
    return {"type": "input", "block_id": block_id, "label": _plain(label), "element": element}


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _option(value: str, text: str) -> dict[str, Any]:
    return {"text": _plain(text), "value": value}


def _view(payload: dict[str, Any]) -> dict[str, Any]:
    view = payload.get("view")
    return view if isinstance(view, dict) else {}


def _state(payload: dict[str, Any], block_id: str, action_id: str) -> dict[str, Any]:
    values = (_view(payload).get("state") or {}).get("values") or {}
    found = (values.get(block_id) or {}).get(action_id)
    return found if isinstance(found, dict) else {}
