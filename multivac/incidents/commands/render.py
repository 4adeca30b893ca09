"""What a command changes in the war room: the topic, the summary message, an announcement and a
timeline entry. The topic and the summary are re-rendered by the war room's own renderers."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any

from multivac.incidents.commands.lookup import ROLE_LABELS, ROLES
from multivac.incidents.commands.replies import Partial
from multivac.incidents.war_room import messages, present
from multivac.incidents.war_room.context import Deps, load_context
from multivac.store.database import transaction
from multivac.store.models import Incident, IncidentStatus
from multivac.store.timeline import add_timeline


def jira_url(deps: Deps, key: str) -> str:
    return f"{deps.settings.jira.url.rstrip('/')}/browse/{key}"


def topic_text(deps: Deps, incident: Incident) -> str:
    key = incident.jira_key
    return messages.topic(
        severity=incident.severity or "SEV?",
        lead_name=incident.lead_name,
        jira_key=key,
        jira_url=jira_url(deps, key) if key else None,
        pagerduty_number=incident.pagerduty_number,
        status=str(incident.status),
    )


def refresh_topic(deps: Deps, incident: Incident, partial: Partial) -> None:
    channel_id = incident.slack_channel_id
    if channel_id:
        text = topic_text(deps, incident)
        partial.attempt(
            "update the channel topic",
            lambda: deps.chat.set_topic(channel_id=channel_id, topic=text),
        )


def summary_message(deps: Deps, incident_id: int) -> tuple[str, list[dict[str, Any]]]:
    """The summary message as it should read now: today's lead, roles and status (no buttons once
    resolved), rendered by the war room's own renderer."""
    with transaction(deps.sessions) as session:
        ctx = load_context(session, deps, incident_id)
    if ctx is None:
        raise LookupError(f"incident {incident_id} does not exist")
    view = present.summary_view(ctx)
    return messages.summary_text(view), messages.summary_blocks(view)


def refresh_summary(deps: Deps, incident: Incident, partial: Partial) -> None:
    channel_id, ts = incident.slack_channel_id, incident.slack_summary_ts
    if not channel_id or not ts:
        return
    text, blocks = summary_message(deps, incident.id)
    partial.attempt(
        "update the summary message",
        lambda: deps.chat.update_message(channel_id=channel_id, ts=ts, text=text, blocks=blocks),
    )


# Xero's IT convention on the summary message: 👀 seen (acknowledged), ✅ done (resolved).
SEEN, DONE = "eyes", "white_check_mark"


def react_to_status(deps: Deps, incident: Incident, partial: Partial) -> None:
    """The summary message's reactions as the status says: 👀 once acknowledged, ✅ once
    resolved, neither when triggered again (unacknowledged or reopened). Idempotent."""
    channel_id, ts = incident.slack_channel_id, incident.slack_summary_ts
    if not channel_id or not ts:
        return
    wanted = {
        IncidentStatus.ACKNOWLEDGED: (SEEN,),
        IncidentStatus.RESOLVED: (SEEN, DONE),
    }.get(incident.status, ())
    for name in (SEEN, DONE):
        change = deps.chat.add_reaction if name in wanted else deps.chat.remove_reaction
        partial.attempt(
            "update the summary's reactions",
            functools.partial(change, channel_id=channel_id, ts=ts, name=name),
        )


def announce(deps: Deps, incident: Incident, text: str, partial: Partial) -> None:
    channel_id = incident.slack_channel_id
    if channel_id:
        partial.attempt(
            "post in the channel",
            lambda: deps.chat.post_message(channel_id=channel_id, text=text),
        )


def record(deps: Deps, incident_id: int, kind: str, text: str, actor: str) -> None:
    """A timeline entry for something a person did from Slack."""
    with transaction(deps.sessions) as session:
        add_timeline(
            session, incident_id, kind, text, datetime.now(UTC), actor=actor, source="slack"
        )


def roles_line(holders: dict[str, str]) -> str:
    """`*CX liaison:* <@U1> · *Comms:* <@U2>`, or "" when nobody holds a role."""
    return messages.roles_line(
        [(ROLE_LABELS[role], holders[role]) for role in ROLES if role in holders]
    )
