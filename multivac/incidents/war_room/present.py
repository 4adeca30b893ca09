"""War-room steps that build what people see in Slack (and the link back from PagerDuty):
`channel`, `invite`, `topic`, `bookmarks`, `summary`, `pagerduty_note`, `jira_late`.

Each returns its JSON-able result, with the database writes that go with it, and is safe to run
again.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from multivac.incidents.rules import war_room_channel_name
from multivac.incidents.war_room import messages
from multivac.incidents.war_room.context import StepContext, StepOutput, record_once
from multivac.integrations.errors import NameTaken
from multivac.integrations.ports import Channel, MessageMetadata
from multivac.store.database import transaction
from multivac.store.incidents import incident_by_channel, update_incident
from multivac.store.models import IncidentStatus

NAME_ATTEMPTS = 20
SUMMARY_EVENT = "multivac_war_room"


def channel(ctx: StepContext) -> StepOutput:
    """Create the channel; a taken name that is this incident's (an earlier attempt) is reused,
    one that belongs to something else gets a `-2`, `-3`... suffix."""
    incident = ctx.incident
    if incident.slack_channel_id and incident.slack_channel_name:
        return StepOutput({"id": incident.slack_channel_id, "name": incident.slack_channel_name})
    created, at = _create_channel(ctx), datetime.now(UTC)

    def record(session: Session) -> None:  # the incident last (see `flow.record_finished`)
        record_once(session, incident.id, "channel_created", f"#{created.name} created", at)
        update_incident(
            session, incident.id, slack_channel_id=created.id, slack_channel_name=created.name
        )

    return StepOutput({"id": created.id, "name": created.name}, record)


def invite(ctx: StepContext) -> StepOutput:
    found = ctx.results["responders"]
    refused = ctx.deps.chat.invite(
        channel_id=ctx.results["channel"]["id"], user_ids=found["slack_ids"]
    )
    invited, at = len(found["slack_ids"]) - len(refused), datetime.now(UTC)
    text = f"{invited} responders invited"
    if found["unmapped"]:
        text += "; not in Slack: " + ", ".join(p["name"] for p in found["unmapped"])

    def record(session: Session) -> None:
        record_once(session, ctx.incident.id, "responders_invited", text, at)

    return StepOutput(
        {"refused": [{"user": r.user_id, "reason": r.reason} for r in refused]}, record
    )


def topic(ctx: StepContext) -> StepOutput:
    jira = ctx.result("jira") or {}
    ctx.deps.chat.set_topic(channel_id=ctx.results["channel"]["id"], topic=_topic_text(ctx))
    return StepOutput({"jira_key": jira.get("key")})


def bookmarks(ctx: StepContext) -> StepOutput:
    channel_id = ctx.results["channel"]["id"]
    wanted = _bookmarks(ctx)
    if ctx.attempt > 1:
        present = {b.link for b in ctx.deps.chat.bookmarks(channel_id=channel_id)}
        wanted = [(title, url) for title, url in wanted if url not in present]
    if wanted:  # added side by side: one round trip, not one per bookmark
        calls = ctx.deps.threads.calls
        added = [
            calls.submit(ctx.deps.chat.add_bookmark, channel_id=channel_id, title=t, link=u)
            for t, u in wanted
        ]
        for future in added:
            future.result()
    return StepOutput({"jira_key": (ctx.result("jira") or {}).get("key")})


def summary(ctx: StepContext) -> StepOutput:
    """Post the summary; on a retry, an already posted one (found by its metadata) is updated."""
    chat, channel_id = ctx.deps.chat, ctx.results["channel"]["id"]
    view = summary_view(ctx)
    text, blocks = messages.summary_text(view), messages.summary_blocks(view)
    ts = None
    if ctx.attempt > 1:
        ts = chat.find_message(
            channel_id=channel_id,
            event_type=SUMMARY_EVENT,
            key="incident_id",
            value=str(ctx.incident.id),
        )
    if ts:
        chat.update_message(channel_id=channel_id, ts=ts, text=text, blocks=blocks)
    else:
        metadata = MessageMetadata(SUMMARY_EVENT, {"incident_id": str(ctx.incident.id)})
        ts = chat.post_message(channel_id=channel_id, text=text, blocks=blocks, metadata=metadata)

    def record(session: Session) -> None:
        update_incident(session, ctx.incident.id, slack_summary_ts=ts)

    return StepOutput({"ts": ts, "jira_key": view.jira_key}, record)


def pagerduty_note(ctx: StepContext) -> StepOutput:
    incident, found = ctx.incident, ctx.results["channel"]
    if not incident.pagerduty_id:
        return StepOutput({})
    content = f"Slack war room: #{found['name']} {slack_link(found['id'])}"
    ctx.deps.pager.add_note(incident_id=incident.pagerduty_id, content=content)
    return StepOutput({})


def jira_late(ctx: StepContext) -> StepOutput:
    """When Jira came back after the channel was assembled: link it where it said "pending"."""
    chat, channel_id = ctx.deps.chat, ctx.results["channel"]["id"]
    jira = ctx.results["jira"]
    if ctx.results["topic"].get("jira_key") is None:
        chat.set_topic(channel_id=channel_id, topic=_topic_text(ctx))
    if ctx.results["bookmarks"].get("jira_key") is None:
        chat.add_bookmark(channel_id=channel_id, title=f"Jira {jira['key']}", link=jira["url"])
    posted = ctx.results["summary"]
    if posted.get("jira_key") is None:
        view = summary_view(ctx)
        chat.update_message(
            channel_id=channel_id,
            ts=posted["ts"],
            text=messages.summary_text(view),
            blocks=messages.summary_blocks(view),
        )
    return StepOutput({})


def slack_link(channel_id: str) -> str:
    return f"https://slack.com/app_redirect?channel={channel_id}"


def _create_channel(ctx: StepContext) -> Channel:
    incident, rules = ctx.incident, ctx.deps.settings.incidents
    for attempt in range(1, NAME_ATTEMPTS + 1):
        name = war_room_channel_name(
            rules,
            triggered_at=incident.triggered_at or incident.created_at,
            number=incident.pagerduty_number or incident.number,
            title=incident.title,
            service=incident.service_name or "",
            severity=incident.severity or "",
            attempt=attempt,
        )
        try:
            return ctx.deps.chat.create_channel(name=name, private=incident.private)
        except NameTaken:
            existing = ctx.deps.chat.find_channel_by_name(name=name)
            if existing is not None and _reusable(ctx, existing):
                return existing
    raise NameTaken("slack", "name_taken", f"{NAME_ATTEMPTS} channel names were all taken")


def _reusable(ctx: StepContext, existing: Channel) -> bool:
    """Ours from an earlier attempt: active, created by Multivac, recorded for no other incident.
    A channel a person made with the same name belongs to them: the caller picks another name."""
    if existing.is_archived or existing.creator != ctx.deps.chat.whoami().user_id:
        return False
    with transaction(ctx.deps.sessions) as session:
        owner = incident_by_channel(session, existing.id)
        return owner is None or owner.id == ctx.incident.id


def _topic_text(ctx: StepContext) -> str:
    jira = ctx.result("jira") or {}
    return messages.topic(
        severity=ctx.incident.severity or "SEV?",
        lead_name=jira.get("lead_name") or ctx.incident.lead_name,
        jira_key=jira.get("key"),
        jira_url=jira.get("url"),
        pagerduty_number=ctx.incident.pagerduty_number,
        status=str(ctx.incident.status),
    )


def _bookmarks(ctx: StepContext) -> list[tuple[str, str]]:
    wanted = []
    incident, jira = ctx.incident, ctx.result("jira")
    if jira:
        wanted.append((f"Jira {jira['key']}", str(jira["url"])))
    if incident.pagerduty_url and messages.SAFE_URL.match(incident.pagerduty_url):
        wanted.append((f"PagerDuty #{incident.pagerduty_number}", incident.pagerduty_url))
    return wanted


ROLE_LABELS = {"cx": "CX liaison", "comms": "Comms", "scribe": "Scribe"}


def summary_view(ctx: StepContext) -> messages.Summary:
    """The summary message's content as the incident stands now (lead, roles, status)."""
    incident = ctx.incident
    found = ctx.result("responders") or {}
    jira = ctx.result("jira") or {}
    return messages.Summary(
        incident_id=incident.id,
        severity=incident.severity or "SEV?",
        title=incident.title,
        service=incident.service_name or "unknown service",
        status=str(incident.status),
        urgency=incident.urgency or "unknown",
        pagerduty_number=incident.pagerduty_number,
        pagerduty_url=incident.pagerduty_url,
        lead_slack_id=incident.lead_slack_id or found.get("lead_slack_id"),
        lead_name=incident.lead_name or found.get("lead_name"),
        responder_ids=found.get("slack_ids", []),
        unmapped=[messages.Unmapped(p["name"], p["email"]) for p in found.get("unmapped", [])],
        jira_key=jira.get("key"),
        jira_url=jira.get("url"),
        roles=tuple((ROLE_LABELS.get(role, role), user) for role, user in ctx.roles),
        resolved=incident.status == IncidentStatus.RESOLVED,
    )
