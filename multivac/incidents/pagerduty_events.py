"""PagerDuty v3 webhook envelopes, parsed into what Multivac needs (untrusted input: validate all).

For most incident events `event.data` is the incident; for `incident.annotated` and
`incident.responder.*` it is a note or a responder and the incident is `event.data.incident`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

INCIDENT_EVENT_PREFIX = "incident."


class MalformedEvent(ValueError):
    """The body is not a PagerDuty v3 webhook envelope; the message says what is wrong."""


@dataclass(frozen=True)
class IncidentFacts:
    """What an event says about its incident (only in events whose data is the incident)."""

    id: str
    number: int | None
    title: str
    status: str
    urgency: str
    priority: str | None
    service_id: str
    service_name: str
    escalation_policy_id: str | None
    assignee_ids: tuple[str, ...]
    assignee_names: tuple[str, ...]
    html_url: str
    created_at: datetime | None
    incident_key: str | None = None


@dataclass(frozen=True)
class PagerDutyEvent:
    id: str
    event_type: str
    occurred_at: datetime
    incident_id: str | None
    incident: IncidentFacts | None
    agent_id: str | None
    client_name: str | None
    data: dict[str, Any]

    @property
    def is_incident_event(self) -> bool:
        return self.event_type.startswith(INCIDENT_EVENT_PREFIX) and self.incident_id is not None


def parse_envelope(body: bytes) -> PagerDutyEvent:
    """Parse a delivery body; raises `MalformedEvent` naming the first missing or bad field."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MalformedEvent(f"body is not JSON: {error}") from None
    return parse_document(document)


def parse_document(document: object) -> PagerDutyEvent:
    """Parse an already decoded envelope (as stored with its delivery)."""
    event = _object(document, "event") if isinstance(document, dict) else None
    if event is None:
        raise MalformedEvent("body must be a JSON object with an 'event' object")
    data = _object(event, "data")
    if data is None:
        raise MalformedEvent("event.data must be an object")
    event_type = _text(event, "event_type", "event")
    incident = _incident(data) if data.get("type") == "incident" else None
    reference = _object(data, "incident") or {}
    incident_id = incident.id if incident else _optional_text(reference, "id")
    agent = _object(event, "agent") or {}
    client = _object(event, "client") or {}
    return PagerDutyEvent(
        id=_text(event, "id", "event"),
        event_type=event_type,
        occurred_at=_time(event, "occurred_at", "event"),
        incident_id=incident_id if event_type.startswith(INCIDENT_EVENT_PREFIX) else None,
        incident=incident,
        agent_id=_optional_text(agent, "id"),
        client_name=_optional_text(client, "name"),
        data=data,
    )


def _incident(data: dict[str, Any]) -> IncidentFacts:
    service = _object(data, "service") or {}
    policy = _object(data, "escalation_policy") or {}
    priority = _object(data, "priority") or {}
    assignees = [a for a in data.get("assignees") or [] if isinstance(a, dict)]
    number = data.get("number")
    created = data.get("created_at")
    return IncidentFacts(
        id=_text(data, "id", "event.data"),
        number=number if isinstance(number, int) else None,
        title=str(data.get("title") or "Untitled incident"),
        status=str(data.get("status") or "triggered"),
        urgency=str(data.get("urgency") or "high"),
        priority=_optional_text(priority, "summary"),
        service_id=_text(service, "id", "event.data.service"),
        service_name=str(service.get("summary") or service.get("id")),
        escalation_policy_id=_optional_text(policy, "id"),
        assignee_ids=tuple(str(a["id"]) for a in assignees if a.get("id")),
        assignee_names=tuple(str(a.get("summary") or a["id"]) for a in assignees if a.get("id")),
        html_url=str(data.get("html_url") or ""),
        created_at=_parse_time(created) if isinstance(created, str) else None,
        incident_key=_optional_text(data, "incident_key"),
    )


def _object(container: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = container.get(key)
    return value if isinstance(value, dict) else None


def _text(container: dict[str, Any], key: str, where: str) -> str:
    value = container.get(key)
    if not isinstance(value, str) or not value:
        raise MalformedEvent(f"{where}.{key} must be a non-empty string")
    return value


def _optional_text(container: dict[str, Any], key: str) -> str | None:
    value = container.get(key)
    return value if isinstance(value, str) and value else None


def _time(container: dict[str, Any], key: str, where: str) -> datetime:
    moment = _parse_time(_text(container, key, where))
    if moment is None:
        raise MalformedEvent(f"{where}.{key} must be an ISO-8601 time with a zone")
    return moment


def _parse_time(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
