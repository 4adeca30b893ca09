"""The post-incident record: on resolution, one plain-text comment on the incident's Jira issue
with the summary, the severity history, the lead and roles, the responders, the times and the
timeline.

The timeline is the record's source: the severity history and the resolution summary are read from
its entries, not from the incident's current fields. The text is for Jira (plain lines, no Slack
markup): Slack mentions become the names or emails the incident knows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from multivac.incidents.commands.lookup import ROLE_LABELS
from multivac.incidents.commands.status import age
from multivac.incidents.text import one_line
from multivac.incidents.war_room.context import Deps
from multivac.store.database import transaction
from multivac.store.incidents import get_incident
from multivac.store.models import Incident, Responder, Role, TimelineEntry
from multivac.store.responders import responders
from multivac.store.timeline import add_timeline, timeline

WRITTEN, DEDUP_KEY = "postmortem_written", "postmortem"
WRITE = "write the post-incident record to Jira"  # a step of a resolution, in `Partial`'s words
SEVERITY_KINDS = ("severity", "severity_changed")  # from PagerDuty, from Slack
RESOLVED = "resolved"
MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
SEVERITY_NAME = re.compile(r"\bSEV\w+")
SLACK_SUMMARY = re.compile(r"^Resolved by <@[^>]+>: (?P<summary>.+)$", re.DOTALL)
ROLE_WORDS: dict[str, str] = {str(role): label for role, label in ROLE_LABELS.items()}
# Jira Cloud refuses comments over 32,767 characters; the middle of a long timeline gives way.
MAX_CHARS = 32_000


@dataclass(frozen=True)
class SeverityStep:
    severity: str
    at: datetime | None
    how: str


def write(deps: Deps, incident_id: int) -> bool:
    """Add the post-incident record to the incident's Jira issue as one comment.

    At most once per incident: success is kept as a `postmortem_written` timeline entry (dedup key
    `postmortem`), checked first, so a retried or repeated resolution adds nothing. False when the
    incident has no Jira issue; True when the issue has the record (now or from an earlier call).
    A vendor failure raises `IntegrationError` and records nothing, so a later call tries again.
    `LookupError` when the incident does not exist.
    """
    with transaction(deps.sessions) as session:
        incident = get_incident(session, incident_id)
        if incident is None:
            raise LookupError(f"incident {incident_id} does not exist")
        key = incident.jira_key
        if not key:
            return False
        entries = timeline(session, incident_id)
        if any(entry.dedup_key == DEDUP_KEY for entry in entries):
            return True
        body = record_text(incident, entries, responders(session, incident_id))
    deps.tracker.comment(key=key, body=body)
    with transaction(deps.sessions) as session:
        add_timeline(
            session,
            incident_id,
            WRITTEN,
            f"Post-incident record written to Jira {key}",
            datetime.now(UTC),
            source="multivac",
            dedup_key=DEDUP_KEY,
        )
    return True


def record_text(
    incident: Incident, timeline_entries: Sequence[TimelineEntry], responders: Sequence[Responder]
) -> str:
    """The record as plain lines; the same inputs always give the same text."""
    names = _names(incident, responders)
    entries = [entry for entry in timeline_entries if entry.kind != WRITTEN]
    head = [
        "Post-incident record",
        f"Incident: {_identity(incident)}",
        f"Summary: {_summary(incident, entries)}",
        *_severity_lines(incident, entries, names),
        f"Lead: {_lead(incident)}",
        f"Roles: {_roles(incident, responders, names)}",
        f"Responders: {_responders(responders)}",
        *_times(incident),
        "Timeline (UTC):",
    ]
    return _fit(head, _timeline_lines(entries, names) or ["  (no entries)"])


def readable(text: str, names: dict[str, str]) -> str:
    """`<@U123>` as the person's name or email when known, else `@U123`; one line."""

    def name(match: re.Match[str]) -> str:
        user_id, label = match.group(1), match.group(2)
        return names.get(user_id) or label or f"@{user_id}"

    return one_line(MENTION.sub(name, text))


def _names(incident: Incident, people: Sequence[Responder]) -> dict[str, str]:
    """Readable names by Slack and PagerDuty user id: the lead's name, everyone else's email."""
    names: dict[str, str] = {}
    for person in people:
        for user_id in (person.slack_user_id, person.pagerduty_user_id):
            if user_id:
                names[user_id] = person.email
    if incident.lead_name:
        for user_id in (incident.lead_slack_id, incident.lead_pagerduty_id):
            if user_id:
                names[user_id] = incident.lead_name
    return names


def _identity(incident: Incident) -> str:
    where = [part for part in (incident.service_name, _pagerduty(incident)) if part]
    return f"#{incident.number} {one_line(incident.title)}" + (
        f" ({', '.join(where)})" if where else ""
    )


def _pagerduty(incident: Incident) -> str | None:
    number = incident.pagerduty_number
    return f"PagerDuty #{number}" if number is not None else None


def _summary(incident: Incident, entries: Sequence[TimelineEntry]) -> str:
    """The resolution summary given in Slack (the latest resolved entry's), else the title."""
    for entry in reversed(entries):
        if entry.kind != RESOLVED:
            continue
        given = (entry.data or {}).get("summary")
        if given:
            return one_line(str(given))
        found = SLACK_SUMMARY.match(entry.text)
        if found:
            return one_line(found.group("summary"))
    return one_line(incident.title)


def _severity_lines(
    incident: Incident, entries: Sequence[TimelineEntry], names: dict[str, str]
) -> list[str]:
    steps = _severity_history(incident, entries, names)
    lines = ["Severity: " + " → ".join(step.severity for step in steps)]
    for step in steps:
        when = f" from {_stamp(step.at)}" if step.at else ""
        lines.append(f"  {step.severity}{when} ({step.how})")
    return lines


def _severity_history(
    incident: Incident, entries: Sequence[TimelineEntry], names: dict[str, str]
) -> list[SeverityStep]:
    changes = [
        (entry, *_severity_change(entry)) for entry in entries if entry.kind in SEVERITY_KINDS
    ]
    changes = [(entry, before, after) for entry, before, after in changes if after]
    first = changes[0][1] if changes else incident.severity
    steps = [SeverityStep(first or "unknown", incident.triggered_at, "at the start")]
    for entry, _, after in changes:
        steps.append(SeverityStep(after or "", entry.at, _how(entry, names)))
    return steps


def _severity_change(entry: TimelineEntry) -> tuple[str | None, str | None]:
    """(before, after) from the entry's data when it has them, else from its words: "Severity:
    SEV1 → SEV3 (by …)" from Slack, "Severity changed to SEV3 in PagerDuty" (no before)."""
    data: dict[str, Any] = entry.data or {}
    if data.get("to"):
        return _text_or_none(data.get("from")), str(data["to"])
    found = SEVERITY_NAME.findall(entry.text)
    if not found:
        return None, None
    return (found[0] if len(found) > 1 else None), found[-1]


def _text_or_none(value: Any) -> str | None:
    return str(value) if value else None


def _how(entry: TimelineEntry, names: dict[str, str]) -> str:
    where = {"pagerduty": "in PagerDuty", "slack": "in Slack"}.get(entry.source or "", "")
    who = names.get(entry.actor or "", entry.actor or "")
    return ", ".join(part for part in (where, f"by {who}" if who else "") if part) or "changed"


def _lead(incident: Incident) -> str:
    name, email = incident.lead_name, incident.lead_email
    if name and email:
        return f"{name} ({email})"
    return name or email or "nobody"


def _roles(incident: Incident, people: Sequence[Responder], names: dict[str, str]) -> str:
    holders = {person.role: person.email for person in people if person.role in ROLE_LABELS}
    cx_id = incident.cx_liaison_slack_id
    if Role.CX not in holders and cx_id:
        holders[Role.CX] = names.get(cx_id, f"@{cx_id}")
    parts = [f"{label} {holders[role]}" for role, label in ROLE_LABELS.items() if role in holders]
    return ", ".join(parts) or "none given"


def _responders(people: Sequence[Responder]) -> str:
    """Everyone in the war room once, by email, with the roles they held beyond responding."""
    roles: dict[str, list[str]] = {}
    for person in people:
        held = roles.setdefault(person.email, [])
        role = ROLE_WORDS.get(person.role, person.role)
        if person.role != Role.RESPONDER and role not in held:
            held.append(role)
    parts = [email + (f" ({', '.join(held)})" if held else "") for email, held in roles.items()]
    return ", ".join(parts) or "none recorded"


def _times(incident: Incident) -> list[str]:
    start = incident.triggered_at or incident.created_at
    acknowledged, resolved = incident.acknowledged_at, incident.resolved_at
    return [
        "Times:",
        f"  Triggered: {_stamp(start)}",
        f"  Acknowledged: {_stamp(acknowledged) if acknowledged else 'never'}",
        f"  Resolved: {_stamp(resolved) if resolved else 'not yet'}",
        f"  Time to acknowledge: {age(acknowledged - start) if acknowledged else 'n/a'}",
        f"  Time to resolve: {age(resolved - start) if resolved else 'n/a'}",
    ]


def _timeline_lines(entries: Sequence[TimelineEntry], names: dict[str, str]) -> list[str]:
    """`HH:MM:SS UTC  text (actor)`, under a line with the date whenever the day changes."""
    lines: list[str] = []
    day = None
    for entry in entries:
        at = entry.at.astimezone(UTC)
        if at.date() != day:
            day = at.date()
            lines.append(f"  {day.isoformat()}")
        text = readable(entry.text, names)
        who = names.get(entry.actor or "", entry.actor or "")
        suffix = f" ({who})" if who and who not in text else ""
        lines.append(f"  {at:%H:%M:%S} UTC  {text}{suffix}")
    return lines


def _fit(head: list[str], lines: list[str]) -> str:
    """The record within Jira's limit: the timeline's middle gives way, its ends stay."""
    text = "\n".join([*head, *lines])
    if len(text) <= MAX_CHARS:
        return text
    budget = MAX_CHARS - len("\n".join(head)) - 100  # room for the line saying what is left out
    first, last, used = 0, len(lines), 0
    while first < last:
        from_start = first <= len(lines) - last  # alternate ends
        used += len(lines[first] if from_start else lines[last - 1]) + 1
        if used > budget:
            break
        if from_start:
            first += 1
        else:
            last -= 1
    gap = f"  … {last - first} entries left out (the full timeline is in Multivac)"
    return "\n".join([*head, *lines[:first], gap, *lines[last:]])


def _stamp(at: datetime) -> str:
    return f"{at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"
