"""Reading incidents from Slack: the `status` card of one incident and the `list` of open ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from multivac.incidents.commands import render
from multivac.incidents.commands.lookup import load_incident, role_holders
from multivac.incidents.commands.replies import Reply
from multivac.incidents.text import SECTION_MAX, escape_mrkdwn, one_line, truncate
from multivac.incidents.war_room.context import Deps
from multivac.incidents.war_room.messages import link
from multivac.store.database import transaction
from multivac.store.incidents import open_incidents
from multivac.store.models import Incident, IncidentStatus, TimelineEntry
from multivac.store.timeline import timeline

LIST_LIMIT = 25
TITLE_MAX = 80
LAST_UPDATE_MAX = 500


def status_card(deps: Deps, incident_id: int) -> Reply:
    """Severity, status, lead, roles, age, links and the latest update (or latest event)."""
    incident = load_incident(deps, incident_id)
    roles = render.roles_line(role_holders(deps, incident_id)) or "*Roles:* none given yet"
    with transaction(deps.sessions) as session:
        latest = _latest(timeline(session, incident_id))
    lines = [
        f"*{incident.severity or 'SEV?'} · {escape_mrkdwn(one_line(incident.title))}*",
        f"*Status:* {incident.status.value} · {_age_words(incident)}",
        f"*Lead:* {_lead(incident)} · {roles}",
        f"*Links:* {_links(deps, incident)}",
    ]
    if latest is not None:
        who = f"<@{latest.actor}>, " if latest.source == "slack" and latest.actor else ""
        text = truncate(escape_mrkdwn(one_line(latest.text)), LAST_UPDATE_MAX)
        lines.append(f"*Last update* ({who}{age(_now() - latest.at)} ago): {text}")
    return Reply(truncate("\n".join(lines), SECTION_MAX))


def list_incidents(deps: Deps) -> Reply:
    """Open incidents, most recently active first: severity, channel, title, age and lead."""
    with transaction(deps.sessions) as session:
        found = open_incidents(session, limit=LIST_LIMIT)
        session.expunge_all()
    if not found:
        return Reply("No open incidents. :tada:")
    lines = [f"*Open incidents* ({len(found)}{'+' if len(found) == LIST_LIMIT else ''})"]
    for incident in found:
        where = f"<#{incident.slack_channel_id}>" if incident.slack_channel_id else "no channel yet"
        title = escape_mrkdwn(truncate(one_line(incident.title), TITLE_MAX))
        lines.append(
            f"• *{incident.severity or 'SEV?'}* {where} {title} · "
            f"{age(_now() - _started(incident))} · lead {_lead(incident)}"
        )
    return Reply(truncate("\n".join(lines), SECTION_MAX))


def age(delta: timedelta) -> str:
    """`3d 4h`, `1h 5m`, `12m`, `under a minute`."""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, hours, minutes = minutes // 1440, minutes // 60 % 24, minutes % 60
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m" if minutes else "under a minute"


def _now() -> datetime:
    return datetime.now(UTC)


def _started(incident: Incident) -> datetime:
    return incident.triggered_at or incident.created_at


def _age_words(incident: Incident) -> str:
    if incident.status == IncidentStatus.RESOLVED and incident.resolved_at:
        return f"resolved after {age(incident.resolved_at - _started(incident))}"
    return f"open for {age(_now() - _started(incident))}"


def _lead(incident: Incident) -> str:
    if incident.lead_slack_id:
        return f"<@{incident.lead_slack_id}>"
    return escape_mrkdwn(incident.lead_name or "nobody yet")


def _links(deps: Deps, incident: Incident) -> str:
    parts = [f"<#{incident.slack_channel_id}>"] if incident.slack_channel_id else []
    if incident.pagerduty_number is not None:
        parts.append(link(incident.pagerduty_url, f"PagerDuty #{incident.pagerduty_number}"))
    if incident.jira_key:
        parts.append(link(render.jira_url(deps, incident.jira_key), f"Jira {incident.jira_key}"))
    return " · ".join(parts) or "none yet"


def _latest(entries: list[TimelineEntry]) -> TimelineEntry | None:
    updates = [e for e in entries if e.kind == "status_update"] or entries
    return updates[-1] if updates else None
