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
        if event.event_type == "incident.priority_updated":
            severity = severity_for(rules, facts)
            if severity != incident.severity:
                fields["severity"] = severity
                changes.append(SEVERITY)
    elif event.event_type == "incident.annotated":
        changes.append(NOTE)
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
    content = event.data.get("content")
    return str(content) if content else ""


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


def _words(change: str, event: PagerDutyEvent, fields: IncidentFields) -> str:
    if change == SEVERITY:
        return f"Severity changed to {fields.get('severity')} in PagerDuty"
    if change == NOTE:
        return f"Note in PagerDuty: {note_text(event)}"
    if change == PAGE_MOVED:
        return f"PagerDuty moved the page from the lead to {note_text(event) or 'someone else'}"
    return f"{change.capitalize()} in PagerDuty"
