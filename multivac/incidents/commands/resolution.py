"""Ending an incident from Slack: `resolve [summary]` (command or modal) and the Acknowledge
button. The channel is not archived here: that follows later, as configured."""

from __future__ import annotations

from datetime import UTC, datetime

from multivac.incidents import postmortem
from multivac.incidents.commands import render
from multivac.incidents.commands.authorization import may_resolve
from multivac.incidents.commands.lookup import load_incident
from multivac.incidents.commands.replies import Partial, Reply
from multivac.incidents.text import escape_mrkdwn, one_line
from multivac.incidents.war_room.context import Deps
from multivac.store.database import transaction
from multivac.store.incidents import update_incident
from multivac.store.models import Incident, IncidentStatus
from multivac.store.timeline import add_timeline

ALREADY_RESOLVED = "This incident is already resolved."


def resolve(deps: Deps, incident_id: int, actor: str, summary: str) -> Reply:
    """Resolve everywhere, if the actor may: the incident record, PagerDuty, the Jira issue (to
    Done, the summary as its comment), the summary message, a closing message, the timeline."""
    incident = load_incident(deps, incident_id)
    if incident.status == IncidentStatus.RESOLVED:
        return Reply(ALREADY_RESOLVED, done=False)
    decision = may_resolve(deps, incident, actor)
    if not decision.allowed:
        return Reply(decision.refusal, done=False)
    summary, partial = one_line(summary), Partial()
    said = f"Resolved by <@{actor}>" + (f": {summary}" if summary else "")
    _mark(deps, incident_id, IncidentStatus.RESOLVED, actor, said)
    if (pd_id := incident.pagerduty_id) is not None:
        partial.attempt(
            "resolve the PagerDuty incident",
            lambda: deps.pager.set_status(incident_id=pd_id, status="resolved"),
        )
    _close_issue(deps, incident, actor, summary, partial)
    partial.attempt(postmortem.WRITE, lambda: postmortem.write(deps, incident_id))
    changed = load_incident(deps, incident_id)
    render.refresh_topic(deps, changed, partial)
    render.refresh_summary(deps, changed, partial)
    render.react_to_status(deps, changed, partial)
    closing = f"\n*Summary:* {escape_mrkdwn(summary)}" if summary else ""
    render.announce(
        deps,
        changed,
        f":white_check_mark: <@{actor}> resolved this incident.{closing}\n"
        "Thank you all. The channel stays open for the follow-up.",
        partial,
    )
    return partial.reply("The incident is resolved.")


def acknowledge(deps: Deps, incident_id: int, actor: str) -> Reply:
    """Acknowledge in PagerDuty (stopping its escalation) and in the incident record."""
    incident = load_incident(deps, incident_id)
    if incident.status == IncidentStatus.RESOLVED:
        return Reply(ALREADY_RESOLVED, done=False)
    if incident.status == IncidentStatus.ACKNOWLEDGED:
        return Reply("This incident is already acknowledged.", done=False)
    partial = Partial()
    if (pd_id := incident.pagerduty_id) is not None:
        # PagerDuty first: acknowledging only here would leave it escalating.
        deps.pager.set_status(incident_id=pd_id, status="acknowledged")
    _mark(deps, incident_id, IncidentStatus.ACKNOWLEDGED, actor, f"Acknowledged by <@{actor}>")
    changed = load_incident(deps, incident_id)
    render.refresh_topic(deps, changed, partial)
    render.refresh_summary(deps, changed, partial)
    render.react_to_status(deps, changed, partial)
    return partial.reply("Acknowledged: PagerDuty stops escalating.")


def _mark(deps: Deps, incident_id: int, status: IncidentStatus, actor: str, text: str) -> None:
    now = datetime.now(UTC)
    with transaction(deps.sessions) as session:
        if status == IncidentStatus.RESOLVED:
            update_incident(session, incident_id, status=status, resolved_at=now)
        else:
            update_incident(session, incident_id, status=status, acknowledged_at=now)
        add_timeline(session, incident_id, status.value, text, now, actor=actor, source="slack")


def _close_issue(
    deps: Deps, incident: Incident, actor: str, summary: str, partial: Partial
) -> None:
    key = incident.jira_key
    if not key:
        return
    person = partial.attempt("look you up in Slack", lambda: deps.chat.user_info(user_id=actor))
    who = person.name if person else actor
    comment = f"Resolved in Slack by {who}." + (f" Summary: {summary}" if summary else "")
    partial.attempt(
        "move the Jira issue to Done",
        lambda: deps.tracker.transition(key=key, to_status="Done", comment=comment),
    )
