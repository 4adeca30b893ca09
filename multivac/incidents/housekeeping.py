"""Periodic work (Celery beat): archive resolved war rooms, nudge quiet leads, and catch up with
PagerDuty when its webhooks were missed. Every function takes `now`, so tests control the clock.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from multivac.incidents.intake import take_pagerduty_event
from multivac.incidents.pagerduty_events import IncidentFacts, PagerDutyEvent
from multivac.incidents.sync import apply_pagerduty_changes
from multivac.incidents.war_room.context import Deps
from multivac.integrations.errors import IntegrationError
from multivac.integrations.ports import PagerIncident
from multivac.store.database import transaction
from multivac.store.incidents import open_incidents, resolved_unarchived, update_incident
from multivac.store.models import Incident, IncidentStatus
from multivac.store.timeline import add_timeline, timeline

log = logging.getLogger(__name__)

UPDATE_KINDS = frozenset({"status_update", "reminder", "declared", "recorded"})
SWEEP_AFTER = timedelta(minutes=5)  # give webhooks this long before asking PagerDuty


def archive_resolved(deps: Deps, now: datetime) -> list[int]:
    """Archive the channels of incidents resolved `archive_after_hours` ago (reopened ones are
    no longer resolved, so reopening cancels the archive). Returns the incidents archived."""
    delay = timedelta(hours=deps.settings.incidents.archive_after_hours)
    with transaction(deps.sessions) as session:
        due = [(i.id, i.slack_channel_id) for i in resolved_unarchived(session, now - delay)]
    archived = []
    for incident_id, channel_id in due:
        try:
            deps.chat.archive(channel_id=channel_id or "")
        except IntegrationError as error:
            log.warning("could not archive the channel of incident %s: %s", incident_id, error)
            continue
        with transaction(deps.sessions) as session:
            update_incident(session, incident_id, slack_archived_at=now)
            add_timeline(
                session,
                incident_id,
                "archived",
                "Channel archived",
                now,
                source="multivac",
                dedup_key="archived",
            )
        archived.append(incident_id)
    return archived


def remind_quiet_incidents(deps: Deps, now: datetime) -> list[int]:
    """Nudge the lead of each open incident of a reminded severity that has had no update (and
    no reminder) for `update_reminder_minutes`. Returns the incidents nudged."""
    rules = deps.settings.incidents
    quiet = timedelta(minutes=rules.update_reminder_minutes)
    with transaction(deps.sessions) as session:
        candidates = [
            incident
            for incident in open_incidents(session)
            if incident.severity in rules.reminder_severities
            and incident.slack_channel_id
            and incident.status != IncidentStatus.RESOLVED
            and now - _last_update(session, incident) >= quiet
        ]
        for incident in candidates:
            session.expunge(incident)
    for incident in candidates:
        _nudge(deps, incident, now, int(rules.update_reminder_minutes))
    return [incident.id for incident in candidates]


def sweep_pagerduty(deps: Deps, now: datetime) -> list[int]:
    """Ask PagerDuty about open incidents that have been quiet for a while and apply what was
    missed (a resolve whose webhook never came must not leave an incident open forever)."""
    with transaction(deps.sessions) as session:
        quiet = [
            (i.id, i.pagerduty_id)
            for i in open_incidents(session)
            if i.pagerduty_id
            and i.status != IncidentStatus.RESOLVED
            and i.last_event_at < now - SWEEP_AFTER
        ]
    caught_up = []
    for incident_id, pagerduty_id in quiet:
        try:
            found = deps.pager.get_incident(incident_id=pagerduty_id or "")
        except IntegrationError as error:
            log.warning("could not ask PagerDuty about %s: %s", pagerduty_id, error)
            continue
        if _catch_up(deps, incident_id, found, now):
            caught_up.append(incident_id)
    return caught_up


def _last_update(session: Session, incident: Incident) -> datetime:
    entries = timeline(session, incident.id)
    times = [entry.at for entry in entries if entry.kind in UPDATE_KINDS]
    return max(times, default=incident.triggered_at or incident.created_at)


def _nudge(deps: Deps, incident: Incident, now: datetime, minutes: int) -> None:
    lead = f"<@{incident.lead_slack_id}>" if incident.lead_slack_id else "Incident lead"
    text = (
        f":hourglass: {lead}, no update for {minutes} minutes. Post one with "
        "`/incident update <where things stand>` so everyone knows."
    )
    try:
        deps.chat.post_message(channel_id=incident.slack_channel_id or "", text=text)
    except IntegrationError as error:
        log.warning("could not remind incident %s: %s", incident.id, error)
        return
    with transaction(deps.sessions) as session:
        add_timeline(
            session,
            incident.id,
            "reminder",
            "Update reminder sent to the lead",
            now,
            source="multivac",
            dedup_key=f"reminder:{now.isoformat(timespec='minutes')}",
        )


def _catch_up(deps: Deps, incident_id: int, found: PagerIncident, now: datetime) -> bool:
    facts = IncidentFacts(
        id=found.id,
        number=found.number,
        title=found.title,
        status=found.status,
        urgency=found.urgency,
        priority=found.priority,
        service_id=found.service_id,
        service_name=found.service_name,
        escalation_policy_id=found.escalation_policy_id,
        assignee_ids=tuple(found.assignee_ids),
        assignee_names=(),
        html_url=found.html_url,
        created_at=found.created_at,
    )
    event = PagerDutyEvent(
        id=f"sweep:{found.id}:{now.isoformat()}",
        event_type=f"incident.{found.status}",
        occurred_at=now,
        incident_id=found.id,
        incident=facts,
        agent_id=None,
        client_name="Multivac sweep",
        data={},
    )
    with transaction(deps.sessions) as session:
        intake = take_pagerduty_event(session, event, deps.settings.incidents)
    if not intake.changes:
        return False
    apply_pagerduty_changes(deps, incident_id, intake.changes, note="", agent_id=None)
    return True
