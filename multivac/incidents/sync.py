"""PagerDuty → Slack and Jira: what people did in PagerDuty shows in the war room.

Acknowledged / unacknowledged / resolved / reopened move the summary's status and reactions;
resolved also moves the Jira issue to Done and closes with time to acknowledge and to resolve;
a new priority changes the severity in the topic, the summary and Jira; a note appears in the
channel. Changes Multivac itself made in PagerDuty (its own user is the event's agent) are not
written back to Slack or Jira a second time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from multivac.incidents import changes as kinds
from multivac.incidents import postmortem
from multivac.incidents.commands import render
from multivac.incidents.commands.lookup import load_incident, pagerduty_user_by_email
from multivac.incidents.commands.replies import Partial
from multivac.incidents.commands.status import age
from multivac.incidents.text import escape_mrkdwn, one_line
from multivac.incidents.war_room.context import Deps
from multivac.store.database import transaction
from multivac.store.incidents import update_incident
from multivac.store.models import Incident
from multivac.store.timeline import add_timeline

STATUS_CHANGES = (kinds.ACKNOWLEDGED, kinds.UNACKNOWLEDGED, kinds.RESOLVED, kinds.REOPENED)
# Changes shown in the war room whoever made them; the others are only told, and not when
# Multivac made them itself.
SHOWN = (*STATUS_CHANGES, kinds.SEVERITY, kinds.SERVICE)


def worth_applying(deps: Deps, changes: Sequence[str], agent_id: str | None) -> bool:
    """False for changes `apply_pagerduty_changes` would leave alone: the echo of something
    Multivac itself only said in PagerDuty (its note with the channel's link)."""
    if not changes:
        return False
    if agent_id is None or any(change in SHOWN for change in changes):
        return True
    return agent_id != _own_pagerduty_id(deps)


def apply_pagerduty_changes(
    deps: Deps, incident_id: int, changes: Sequence[str], *, note: str, agent_id: str | None
) -> list[str]:
    """Show the changes in the war room; returns what could not be done, in words."""
    incident = load_incident(deps, incident_id)
    if not incident.slack_channel_id:
        return []  # the war room, when it is assembled, starts from the recorded state
    ours = agent_id is not None and agent_id == _own_pagerduty_id(deps)
    partial = Partial()
    if kinds.REOPENED in changes and incident.slack_archived_at is not None:
        _unarchive(deps, incident, partial)
    if any(change in changes for change in (*STATUS_CHANGES, kinds.SEVERITY)):
        render.refresh_topic(deps, incident, partial)
    if kinds.SEVERITY in changes:
        _jira_priority(deps, incident, partial, ours)
    if any(change in changes for change in SHOWN):
        render.refresh_summary(deps, incident, partial)
        render.react_to_status(deps, incident, partial)
    if not ours:
        _tell(deps, incident, changes, note, partial)
    return partial.problems


def _unarchive(deps: Deps, incident: Incident, partial: Partial) -> None:
    """A reopened incident gets its channel back (archived a day after it was resolved)."""
    channel_id = incident.slack_channel_id or ""
    failures = len(partial.problems)
    partial.attempt("unarchive the channel", lambda: deps.chat.unarchive(channel_id=channel_id))
    if len(partial.problems) == failures:
        with transaction(deps.sessions) as session:
            update_incident(session, incident.id, slack_archived_at=None)
            add_timeline(
                session,
                incident.id,
                "unarchived",
                "Channel unarchived: reopened",
                datetime.now(UTC),
                source="multivac",
            )


def _own_pagerduty_id(deps: Deps) -> str | None:
    user = pagerduty_user_by_email(deps, deps.settings.pagerduty.from_email)
    return user.id if user else None


def _jira_priority(deps: Deps, incident: Incident, partial: Partial, ours: bool) -> None:
    key = incident.jira_key
    priority = deps.settings.incidents.jira_priority_by_severity.get(incident.severity or "")
    if key and priority and not ours:
        partial.attempt(
            "change the Jira priority",
            lambda: deps.tracker.set_priority(key=key, priority=priority),
        )


# What the channel is told for changes that only need saying; `{note}` is escaped.
ANNOUNCEMENTS = {
    kinds.REOPENED: ":rotating_light: Reopened in PagerDuty: the incident is active again.",
    kinds.NOTE: ":memo: Note in PagerDuty: {note}",
    kinds.STATUS_UPDATE: ":mega: Status update published in PagerDuty: {note}",
    kinds.BRIDGE: ":telephone_receiver: Conference bridge: {note}",
    kinds.SERVICE: "The incident's service is now *{note}* (changed in PagerDuty).",
}


def _tell(
    deps: Deps, incident: Incident, changes: Sequence[str], note: str, partial: Partial
) -> None:
    if kinds.RESOLVED in changes:
        _close(deps, incident, partial)
    if kinds.SEVERITY in changes:
        render.announce(
            deps,
            incident,
            f"Severity is now *{incident.severity}* (priority changed in PagerDuty).",
            partial,
        )
    if kinds.PAGE_MOVED in changes:
        lead = f"<@{incident.lead_slack_id}>" if incident.lead_slack_id else "The lead"
        render.announce(
            deps,
            incident,
            f":arrows_counterclockwise: PagerDuty moved the page "
            f"from the lead to {escape_mrkdwn(note or 'someone else')}. {lead} is "
            "still the incident lead: `/incident lead @someone` changes that.",
            partial,
        )
    for change in changes:
        if change in ANNOUNCEMENTS:
            text = ANNOUNCEMENTS[change].format(note=escape_mrkdwn(one_line(note)))
            render.announce(deps, incident, text, partial)
    if kinds.BRIDGE in changes:
        _bookmark_bridge(deps, incident, note, partial)


def _bookmark_bridge(deps: Deps, incident: Incident, note: str, partial: Partial) -> None:
    url = next((word for word in note.split() if word.startswith(("https://", "http://"))), None)
    channel_id = incident.slack_channel_id or ""
    if url:
        partial.attempt(
            "bookmark the conference bridge",
            lambda: deps.chat.add_bookmark(
                channel_id=channel_id, title="Conference bridge", link=url
            ),
        )


def _close(deps: Deps, incident: Incident, partial: Partial) -> None:
    key = incident.jira_key
    if key:
        partial.attempt(
            "move the Jira issue to Done",
            lambda: deps.tracker.transition(
                key=key, to_status="Done", comment="Resolved in PagerDuty."
            ),
        )
        partial.attempt(postmortem.WRITE, lambda: postmortem.write(deps, incident.id))
    render.announce(
        deps, incident, f":white_check_mark: Resolved in PagerDuty. {_times(incident)}", partial
    )


def _times(incident: Incident) -> str:
    """`Time to acknowledge: 4 min. Time to resolve: 1 h 12 min.`"""
    start = incident.triggered_at or incident.created_at
    parts = []
    if incident.acknowledged_at:
        parts.append(f"Time to acknowledge: {age(incident.acknowledged_at - start)}.")
    if incident.resolved_at:
        parts.append(f"Time to resolve: {age(incident.resolved_at - start)}.")
    return " ".join(parts)
