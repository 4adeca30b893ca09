"""What the war room says: the channel topic, the summary message and failure notices.

Everything from PagerDuty (titles, service names, people's names) is untrusted: it is escaped for
mrkdwn and cut to Slack's limits here, in one place.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from multivac.incidents.text import (
    HEADER_MAX,
    SECTION_MAX,
    TOPIC_MAX,
    escape_mrkdwn,
    escaped_within,
    one_line,
    truncate,
)

SAFE_URL = re.compile(r"^https?://[^\s<>|]+$")
ACKNOWLEDGE, RESOLVE, CHANGE_SEVERITY = (
    "incident.acknowledge",
    "incident.resolve",
    "incident.severity",
)
ACTIONS_BLOCK = "incident_actions"
STEP_WORDS = {
    "channel": "create the Slack channel",
    "responders": "find the on-call responders",
    "jira": "open the Jira issue",
    "invite": "invite the responders",
    "topic": "set the channel topic",
    "bookmarks": "add the channel bookmarks",
    "summary": "post the summary message",
    "pagerduty_note": "add the Slack link to the PagerDuty incident",
    "jira_late": "add the Jira link to the channel",
}


@dataclass(frozen=True)
class Unmapped:
    name: str
    email: str


@dataclass(frozen=True)
class Summary:
    incident_id: int
    severity: str
    title: str
    service: str
    status: str
    urgency: str
    pagerduty_number: int | None
    pagerduty_url: str | None
    lead_slack_id: str | None
    lead_name: str | None
    responder_ids: Sequence[str]
    unmapped: Sequence[Unmapped]
    jira_key: str | None
    jira_url: str | None
    roles: tuple[tuple[str, str], ...] = ()  # (label, Slack user id): CX liaison, Comms, Scribe
    resolved: bool = False  # no buttons once resolved


def link(url: str | None, label: str) -> str:
    """A mrkdwn link, or just the escaped label when the URL is not a plain http(s) URL."""
    text = escape_mrkdwn(label)
    return f"<{url}|{text}>" if url and SAFE_URL.match(url) else text


def topic(
    *,
    severity: str,
    lead_name: str | None,
    jira_key: str | None,
    jira_url: str | None,
    pagerduty_number: int | None,
    status: str = "triggered",
) -> str:
    """`SEV1 · Lead: @Aroha Ngata · Jira: INC-88 <url> · PD #1234`, at most 250 characters; once
    acknowledged or resolved the status follows the severity (`SEV1 · Acknowledged · Lead: …`)."""
    jira = f"{jira_key} {jira_url}" if jira_key else "pending"
    lead = f"@{one_line(lead_name)}" if lead_name else "unassigned"
    parts = [severity]
    if status != "triggered":
        parts.append(status.capitalize())
    parts += [f"Lead: {lead}", f"Jira: {jira}"]
    if pagerduty_number is not None:
        parts.append(f"PD #{pagerduty_number}")
    return truncate(" · ".join(parts), TOPIC_MAX)


def summary_text(summary: Summary) -> str:
    """The notification fallback: plain words, no mentions."""
    where = (
        f"PagerDuty #{summary.pagerduty_number}"
        if summary.pagerduty_number is not None
        else "an incident declared in Slack"
    )
    return truncate(
        f"{summary.severity} {escape_mrkdwn(one_line(summary.title))}: war room for {where}",
        SECTION_MAX,
    )


def summary_blocks(summary: Summary) -> list[dict[str, Any]]:
    title = one_line(summary.title)
    heading = f"{summary.severity} · {title}"
    blocks: list[dict[str, Any]] = [
        # Slack reads &lt; as < in plain_text too: escaped, the title shows as written and can
        # never form a <!channel> mention.
        {"type": "header", "text": _plain(escaped_within(heading, HEADER_MAX))},
        _section(_what_where(summary, title)),
        _section(_who(summary)),
    ]
    if summary.unmapped:
        people = ", ".join(
            f"{escape_mrkdwn(p.name)} ({escape_mrkdwn(p.email)})" for p in summary.unmapped
        )
        blocks.append(_section(f":warning: *Not in Slack*, reach them through PagerDuty: {people}"))
    blocks.append(
        _section(
            "*Next:* the lead acknowledges in PagerDuty (or below) and posts updates with "
            "`/incident update`; the CX liaison decides what customers are told."
        )
    )
    if summary.resolved:
        return blocks
    blocks.append(
        {
            "type": "actions",
            "block_id": ACTIONS_BLOCK,
            "elements": [
                _button("Acknowledge", ACKNOWLEDGE, summary.incident_id, "primary"),
                _button("Resolve", RESOLVE, summary.incident_id, "danger"),
                _button("Change severity", CHANGE_SEVERITY, summary.incident_id, None),
            ],
        }
    )
    return blocks


def failure_text(step: str, message: str) -> str:
    what = STEP_WORDS.get(step, step)
    return truncate(
        f":warning: Multivac could not {what}: {escape_mrkdwn(one_line(message))}. "
        "Everything else carried on; do this step by hand if it matters now.",
        SECTION_MAX,
    )


def _what_where(summary: Summary, title: str) -> str:
    pagerduty = link(summary.pagerduty_url, f"PagerDuty #{summary.pagerduty_number}")
    jira = link(summary.jira_url, summary.jira_key) if summary.jira_key else "_pending_"
    return (
        f"*What:* {escape_mrkdwn(title)}\n"
        f"*Where:* {escape_mrkdwn(summary.service)} · {escape_mrkdwn(summary.urgency)} urgency · "
        f"status {escape_mrkdwn(summary.status)}\n"
        f"*Links:* {pagerduty} · Jira {jira}"
    )


def _who(summary: Summary) -> str:
    if summary.lead_slack_id:
        lead = f"<@{summary.lead_slack_id}>"
    else:
        lead = escape_mrkdwn(summary.lead_name or "unassigned")
    others = [f"<@{r}>" for r in summary.responder_ids if r != summary.lead_slack_id]
    responders = ", ".join(others) if others else "none yet"
    lines = [f"*Lead:* {lead}", f"*Responders:* {responders}"]
    if summary.roles:
        lines.append(roles_line(summary.roles))
    return truncate("\n".join(lines), SECTION_MAX)


def roles_line(roles: Sequence[tuple[str, str]]) -> str:
    """`*CX liaison:* <@U1> · *Comms:* <@U2>`, or "" when nobody holds a role."""
    return " · ".join(f"*{escape_mrkdwn(label)}:* <@{user}>" for label, user in roles)


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, SECTION_MAX)}}


def _button(label: str, action_id: str, incident_id: int, style: str | None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": _plain(label),
        "action_id": action_id,
        "value": str(incident_id),
    }
    if style:
        button["style"] = style
    return button
