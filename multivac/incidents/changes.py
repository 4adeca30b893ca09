"""What a later PagerDuty event changes about an incident Multivac already knows.

Events may arrive late, twice or out of order: an event older than the last one applied changes
nothing (`occurred_at` is compared), and a change that is already the recorded state (because
Multivac made it itself, from Slack) is no change, so nothing is echoed back.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from multivac.incidents.pagerduty_events import IncidentFacts, PagerDutyEvent
from multivac.incidents.rules import severity_for
from multivac.settings import IncidentSettings
from multivac.store.incidents import IncidentFields, update_incident
from multivac.store.models import Incident, IncidentStatus
from multivac.store.timeline import add_timeline

ACKNOWLEDGED, UNACKNOWLEDGED, RESOLVED, REOPENED = (
    "acknowledged",
    "unacknowledged",
    "resolved",
    "reopened",
)
SEVERITY, NOTE, PAGE_MOVED = "severity", "note", "page_moved"
BRIDGE, STATUS_UPDATE, SERVICE = "bridge", "status_update_published", "service"
# Events whose data is not the incident but something said about it: (kind, text fields).
SAID_ABOUT = {
    "incident.annotated": (NOTE, ("content",)),
    "incident.status_update_published": (STATUS_UPDATE, ("message",)),
    "incident.conference_bridge.updated": (BRIDGE, ("conference_url", "conference_number")),
}
MOVING_EVENTS = frozenset({"incident.escalated", "incident.reassigned", "incident.delegated"})
STATUSES = {status.value: status for status in IncidentStatus}


def status_change(before: IncidentStatus, after: IncidentStatus) -> str | None:
    if before == after:
        return None
    if after == IncidentStatus.RESOLVED:
        return RESOLVED
    if before == IncidentStatus.RESOLVED:
        return REOPENED
    return ACKNOWLEDGED if after == IncidentStatus.ACKNOWLEDGED else UNACKNOWLEDGED


def record_changes(
    session: Session, incident: Incident, event: PagerDutyEvent, rules: IncidentSettings
) -> tuple[str, ...]:
    """Apply the event to the incident record (in the caller's transaction) and name what changed
    for people to see. An event older than the last one applied changes nothing; one from the same
    instant is applied (PagerDuty sends an incident's events in the order they happened)."""
    if event.occurred_at < incident.last_event_at:
        return ()
    facts, before = event.incident, incident.severity
    changes: list[str] = []
    fields: IncidentFields = {"last_event_at": event.occurred_at}
    if facts is not None:
        changes += _status(incident, facts, event.occurred_at, fields)
        if _page_moved_from_lead(incident, event, facts):
            changes.append(PAGE_MOVED)
        if event.event_type == "incident.service_updated" and facts.service_id != (
            incident.service_id or facts.service_id
        ):
            fields["service_id"], fields["service_name"] = facts.service_id, facts.service_name
            changes.append(SERVICE)
        if event.event_type == "incident.priority_updated":
            severity = severity_for(rules, facts)
            if severity != incident.severity:
                fields["severity"] = severity
                changes.append(SEVERITY)
    elif event.event_type in SAID_ABOUT and note_text(event):
        changes.append(SAID_ABOUT[event.event_type][0])
    update_incident(session, incident.id, **fields)
    for change in changes:
        add_timeline(
            session,
            incident.id,
            change,
            _words(change, event, fields),
            event.occurred_at,
            actor=event.agent_id,
            source="pagerduty",
            # The post-incident record reads the severity history from here.
            data={"from": before, "to": fields.get("severity")} if change == SEVERITY else None,
            dedup_key=f"{change}:{event.id}",
        )
    return tuple(changes)


def note_text(event: PagerDutyEvent) -> str:
    """A note's text, or for a moved page the people it moved to."""
    if event.event_type in MOVING_EVENTS and event.incident is not None:
        return ", ".join(event.incident.assignee_names)
    if event.event_type == "incident.service_updated" and event.incident is not None:
        return event.incident.service_name
    _, keys = SAID_ABOUT.get(event.event_type, ("", ()))
    return " ".join(str(event.data[k]) for k in keys if event.data.get(k))


def _page_moved_from_lead(incident: Incident, event: PagerDutyEvent, facts: IncidentFacts) -> bool:
    """The lead was the one paged, and PagerDuty moved the page to someone else."""
    lead = incident.lead_pagerduty_id
    return event.event_type in MOVING_EVENTS and bool(lead) and lead not in facts.assignee_ids


def _status(
    incident: Incident, facts: IncidentFacts, at: datetime, fields: IncidentFields
) -> list[str]:
    after = STATUSES.get(facts.status, incident.status)
    change = status_change(incident.status, after)
    if change is None:
        return []
    fields["status"] = after
    if change == ACKNOWLEDGED and incident.acknowledged_at is None:
        fields["acknowledged_at"] = at
    if change == RESOLVED:
        fields["resolved_at"] = at
    if change == REOPENED:
        fields["resolved_at"] = None
    return [change]


# Timeline wording per change; anything else reads "<Change> in PagerDuty".
WORDS = {
    SEVERITY: "Severity changed to {severity} in PagerDuty",
    NOTE: "Note in PagerDuty: {text}",
    BRIDGE: "Conference bridge: {text}",
    STATUS_UPDATE: "Status update published in PagerDuty: {text}",
    SERVICE: "Service changed to {text} in PagerDuty",
    PAGE_MOVED: "PagerDuty moved the page from the lead to {text}",
}


def _words(change: str, event: PagerDutyEvent, fields: IncidentFields) -> str:
    template = WORDS.get(change, change.capitalize() + " in PagerDuty")
    return template.format(severity=fields.get("severity"), text=note_text(event) or "someone else")
