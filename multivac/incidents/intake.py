"""A PagerDuty event, turned into Multivac's incident record and, when the rules say so, a war room.

Every incident event (triggered, acknowledged, ...) carries the whole incident, so whichever of
them arrives first records the incident; the war room is started exactly once, by the first
event that finds the incident qualifying (`war_room_started_at` is claimed atomically).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from multivac.incidents.changes import STATUSES, note_text, record_changes
from multivac.incidents.pagerduty_events import IncidentFacts, PagerDutyEvent
from multivac.incidents.rules import qualifies, severity_for
from multivac.settings import IncidentSettings
from multivac.store.incidents import (
    IncidentFields,
    claim_war_room,
    get_incident,
    get_or_create_incident_for_pagerduty,
    incident_by_pagerduty_id,
    link_pagerduty,
)
from multivac.store.models import Incident, IncidentStatus
from multivac.store.timeline import add_timeline

# PagerDuty incidents that Multivac opens for incidents declared in Slack carry this key + our id.
DECLARED_KEY_PREFIX = "multivac-incident-"


# Events that bring new people to an incident: they are invited to its war room.
NEW_PEOPLE_EVENTS = frozenset(
    {"incident.responder.added", "incident.escalated", "incident.reassigned", "incident.delegated"}
)


@dataclass(frozen=True)
class Intake:
    incident_id: int | None
    start_war_room: bool
    invite_pagerduty_users: tuple[str, ...] = ()  # PagerDuty user ids to bring into the channel
    changes: tuple[str, ...] = ()  # what people should see changed (see `changes`)
    note: str = ""  # a PagerDuty note's text, or who a moved page went to
    agent_id: str | None = None  # who did it in PagerDuty (None: automation)


def take_pagerduty_event(
    session: Session, event: PagerDutyEvent, rules: IncidentSettings
) -> Intake:
    """Record what the event says; runs inside the caller's transaction."""
    facts = event.incident
    if facts is None:
        known = incident_by_pagerduty_id(session, event.incident_id or "")
        if known is None:
            return Intake(None, False)
        changed = record_changes(session, known, event, rules)
        return Intake(
            known.id,
            False,
            _newcomers(known, event, ()),
            changed,
            note_text(event),
            event.agent_id,
        )
    declared = _declared_in_slack(session, facts)
    if declared is not None:
        return Intake(declared, False)
    qualifying, now = qualifies(rules, facts), datetime.now(UTC)
    fields = _fields(rules, facts, event)
    if qualifying:  # the war room's start is claimed with the record, when this event makes it
        fields["war_room_started_at"] = now
    incident, created = get_or_create_incident_for_pagerduty(
        session, facts.id, title=facts.title, **fields
    )
    if created:
        _note(session, incident, "recorded", f"PagerDuty #{facts.number}: {facts.title}", event)
    changed = () if created else record_changes(session, incident, event, rules)
    start = qualifying and (created or claim_war_room(session, incident.id, now))
    if start:
        _note(session, incident, "declared", f"War room declared ({facts.urgency} urgency)", event)
        return Intake(incident.id, True)  # the war room invites the assignees itself
    newcomers = _newcomers(incident, event, facts.assignee_ids)
    return Intake(incident.id, False, newcomers, changed, note_text(event), event.agent_id)


def _newcomers(
    incident: Incident, event: PagerDutyEvent, assignees: tuple[str, ...]
) -> tuple[str, ...]:
    """Who this event brings to an incident whose war room exists: a responder PagerDuty added,
    or the people an escalation, reassignment or delegation now assigns."""
    if incident.war_room_started_at is None or event.event_type not in NEW_PEOPLE_EVENTS:
        return ()
    user = event.data.get("user")
    if event.event_type == "incident.responder.added":
        return (str(user["id"]),) if isinstance(user, dict) and user.get("id") else ()
    return assignees


def _fields(rules: IncidentSettings, facts: IncidentFacts, event: PagerDutyEvent) -> IncidentFields:
    route = rules.route_for(facts.service_id, facts.service_name)
    return {
        "severity": severity_for(rules, facts),
        "status": STATUSES.get(facts.status, IncidentStatus.TRIGGERED),
        "urgency": facts.urgency,
        "pagerduty_number": facts.number,
        "service_id": facts.service_id,
        "service_name": facts.service_name,
        "escalation_policy_id": facts.escalation_policy_id,
        "lead_pagerduty_id": facts.assignee_ids[0] if facts.assignee_ids else None,
        "lead_name": facts.assignee_names[0] if facts.assignee_names else None,
        "pagerduty_url": facts.html_url or None,
        "private": route.private,
        "triggered_at": facts.created_at or event.occurred_at,
        "last_event_at": event.occurred_at,
    }


def _declared_in_slack(session: Session, facts: IncidentFacts) -> int | None:
    """The incident declared in Slack that paged PagerDuty with this incident key, now linked to
    the PagerDuty incident (its webhooks may come before the declaring worker has linked it)."""
    key = facts.incident_key or ""
    if not key.startswith(DECLARED_KEY_PREFIX) or not key[len(DECLARED_KEY_PREFIX) :].isdigit():
        return None
    incident = get_incident(session, int(key[len(DECLARED_KEY_PREFIX) :]))
    if incident is None or incident.pagerduty_id not in (None, facts.id):
        return None
    if incident.pagerduty_id is None:
        link_pagerduty(
            session,
            incident.id,
            facts.id,
            pagerduty_number=facts.number,
            pagerduty_url=facts.html_url or None,
            escalation_policy_id=facts.escalation_policy_id,
        )
    return incident.id


def _note(
    session: Session, incident: Incident, kind: str, text: str, event: PagerDutyEvent
) -> None:
    add_timeline(
        session,
        incident.id,
        kind,
        text,
        event.occurred_at,
        source="pagerduty",
        dedup_key=kind,
    )
