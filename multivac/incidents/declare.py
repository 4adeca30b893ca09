"""Declaring an incident from Slack: the modal, then the incident and its war room.

A declared incident goes through the same war-room graph as a PagerDuty one. When the declarer
asks to page the service's on-call, a PagerDuty incident is opened with an incident key naming
ours, so its webhooks are recognised as this incident (no second war room).
"""

from __future__ import annotations

from datetime import UTC, datetime

from multivac.incidents.declare_modal import DeclareRequest, declare_view
from multivac.incidents.intake import DECLARED_KEY_PREFIX
from multivac.incidents.slack_commands import Invocation
from multivac.incidents.text import escape_mrkdwn
from multivac.incidents.war_room.context import Deps
from multivac.integrations.errors import IntegrationError, TriggerExpired
from multivac.integrations.ports import PagerService
from multivac.store.database import transaction
from multivac.store.incidents import create_incident, link_pagerduty
from multivac.store.models import IncidentSource, IncidentStatus
from multivac.store.timeline import add_timeline

URGENT = ("SEV1", "SEV2")
EXPIRED = (
    "Slack gives an app 3 seconds to open a form and this took longer. "
    "Run `/incident declare` again."
)


def open_modal(deps: Deps, invocation: Invocation, title: str) -> None:
    """Open the declare modal; a trigger that expired is explained to the user."""
    services = [(service.id, service.name) for service in deps.pager.services()]
    view = declare_view(
        title=title,
        services=services,
        declarer_id=invocation.user_id,
        channel_id=invocation.channel_id,
    )
    try:
        deps.chat.open_view(trigger_id=invocation.trigger_id, view=view)
    except TriggerExpired:
        deps.chat.post_ephemeral(
            channel_id=invocation.channel_id, user_id=invocation.user_id, text=EXPIRED
        )


def declare(deps: Deps, request: DeclareRequest) -> int:
    """Record the incident (its war room starts at once) and page PagerDuty if asked.

    Returns the incident id; the caller starts the war-room steps.
    """
    lead = deps.chat.user_info(user_id=request.lead_user_id)
    service = _service(deps, request.service_id)
    now = datetime.now(UTC)
    with transaction(deps.sessions) as session:
        incident = create_incident(
            session,
            title=request.title,
            source=IncidentSource.SLACK,
            severity=request.severity,
            status=IncidentStatus.TRIGGERED,
            urgency="high" if request.severity in URGENT else "low",
            service_id=service.id if service else None,
            service_name=service.name if service else None,
            escalation_policy_id=service.escalation_policy_id if service else None,
            lead_slack_id=lead.id,
            lead_name=lead.name,
            lead_email=lead.email,
            private=request.private,
            triggered_at=now,
            last_event_at=now,
            war_room_started_at=now,
        )
        add_timeline(
            session,
            incident.id,
            "declared",
            f"Declared in Slack by <@{request.declarer_id}>: {request.title}",
            now,
            actor=request.declarer_id,
            source="slack",
            dedup_key="declared",
        )
        incident_id = incident.id
    if request.page and service is not None:
        _page(deps, incident_id, request, service)
    return incident_id


def _service(deps: Deps, service_id: str | None) -> PagerService | None:
    if not service_id:
        return None
    return next((s for s in deps.pager.services() if s.id == service_id), None)


def _page(deps: Deps, incident_id: int, request: DeclareRequest, service: PagerService) -> None:
    """Open the PagerDuty incident that pages the service's on-call; a failure is kept in the
    timeline and told to the declarer, and the war room goes ahead without it."""
    severity_to_priority = {
        sev: priority
        for priority, sev in reversed(deps.settings.incidents.severity_by_priority.items())
    }
    try:
        paged = deps.pager.create_incident(
            title=request.title,
            service_id=service.id,
            urgency="high" if request.severity in URGENT else "low",
            details=request.description or request.title,
            incident_key=f"{DECLARED_KEY_PREFIX}{incident_id}",
            priority=severity_to_priority.get(request.severity),
        )
    except IntegrationError as error:
        text = f"The war room is on its way, but paging {service.name} failed: {error}"
        with transaction(deps.sessions) as session:
            add_timeline(
                session,
                incident_id,
                "page_failed",
                text,
                datetime.now(UTC),
                source="multivac",
                dedup_key="page_failed",
            )
        deps.chat.post_ephemeral(
            channel_id=request.channel_id, user_id=request.declarer_id, text=escape_mrkdwn(text)
        )
        return
    with transaction(deps.sessions) as session:
        link_pagerduty(
            session,
            incident_id,
            paged.id,
            pagerduty_number=paged.number,
            pagerduty_url=paged.html_url or None,
        )
        add_timeline(
            session,
            incident_id,
            "paged",
            f"{service.name} paged: PagerDuty #{paged.number}",
            datetime.now(UTC),
            source="multivac",
            dedup_key="paged",
        )
