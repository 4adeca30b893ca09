"""People PagerDuty brings to an incident after its war room exists (a responder added with
`/incident page`, an escalation, a reassignment) are invited to the channel and announced."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from multivac.incidents.text import escape_mrkdwn
from multivac.incidents.war_room.context import Deps
from multivac.incidents.war_room.people import Directory
from multivac.store.database import transaction
from multivac.store.incidents import get_incident
from multivac.store.models import Role
from multivac.store.responders import add_responder, responders
from multivac.store.timeline import add_timeline


def invite_pagerduty_users(deps: Deps, incident_id: int, user_ids: Sequence[str]) -> bool:
    """Invite them (Slack ids by email, cached) and say who joined; False while the incident has
    no channel yet (the war room's own invitations will include PagerDuty's assignees)."""
    with transaction(deps.sessions) as session:
        incident = get_incident(session, incident_id)
        channel_id = incident.slack_channel_id if incident else None
        known = {r.pagerduty_user_id for r in responders(session, incident_id)}
    if channel_id is None:
        return False
    directory = Directory(deps)
    people = [directory.pagerduty_user(user_id) for user_id in user_ids if user_id not in known]
    if not people:
        return True
    slack = directory.slack_ids(p.email for p in people)
    mapped = [slack[p.email.lower()] for p in people if slack.get(p.email.lower())]
    if mapped:
        deps.chat.invite(channel_id=channel_id, user_ids=[m for m in mapped if m])
    missing = [p for p in people if not slack.get(p.email.lower())]
    text = _announcement([m for m in mapped if m], [p.name for p in missing])
    deps.chat.post_message(channel_id=channel_id, text=text)
    with transaction(deps.sessions) as session:
        for person in people:
            add_responder(
                session,
                incident_id,
                role=Role.RESPONDER,
                email=person.email,
                slack_user_id=slack.get(person.email.lower()),
                pagerduty_user_id=person.id,
                invited_at=datetime.now(UTC),
            )
        add_timeline(
            session, incident_id, "responders_joined", text, datetime.now(UTC), source="pagerduty"
        )
    return True


def _announcement(slack_ids: Sequence[str], unmapped: Sequence[str]) -> str:
    parts = []
    if slack_ids:
        parts.append("Joined through PagerDuty: " + ", ".join(f"<@{s}>" for s in slack_ids))
    if unmapped:
        names = ", ".join(escape_mrkdwn(name) for name in unmapped)
        parts.append(f"Paged in PagerDuty but not in Slack: {names}")
    return ". ".join(parts) + "."
