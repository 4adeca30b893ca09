"""War-room steps that gather people and open the Jira issue: `responders`, `jira`.

The incident lead is the PagerDuty assignee who was paged (else, if so configured, the first
on-call at the lowest level); both steps work it out the same way, from the cache when they can.

Each step returns a JSON-able result that is stored and handed to the steps that depend on it,
with the database writes that go with it. Each is safe to run again: it starts from what is
already recorded.
"""

from __future__ import annotations

from concurrent.futures import Future
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from multivac.incidents.text import one_line, truncate
from multivac.incidents.war_room.context import StepContext, StepOutput, record_once
from multivac.incidents.war_room.people import Directory
from multivac.integrations.ports import OnCall, PagerUser
from multivac.store.incidents import update_incident
from multivac.store.models import Role
from multivac.store.responders import Person, add_responders

JIRA_SUMMARY_MAX = 255


def responders(ctx: StepContext) -> StepOutput:
    """On-calls (levels 1..N) and assignees from PagerDuty, plus the service's always-invited
    people and user groups, mapped to Slack. People without Slack are returned as `unmapped`."""
    route, directory, calls = ctx.route, Directory(ctx.deps), ctx.deps.threads.calls
    group_futures = [
        calls.submit(ctx.deps.chat.usergroup_members, usergroup_id=group)
        for group in route.invite_usergroups
    ]
    # The lead's PagerDuty profile (cached) is read while PagerDuty and Slack answer.
    lead_id = ctx.incident.lead_pagerduty_id
    lead_future = calls.submit(directory.pagerduty_user, lead_id) if lead_id else None
    oncalls = _oncalls(ctx)  # on this thread: the answer this step waits for most
    if lead_future is not None:
        lead_future.result()
    group_members = [member for f in group_futures for member in _members(f)]
    people = _people(ctx, oncalls, directory)
    slack = directory.slack_ids(people)
    lead_user = _lead_user(ctx, oncalls, directory)
    lead_slack = slack.get(lead_user.email.lower()) if lead_user else None
    mapped = [slack[email] for email in people if slack.get(email)]
    result = {
        "lead_name": lead_user.name if lead_user else None,
        "slack_ids": sorted({*(s for s in mapped if s), *group_members}),
        "unmapped": [
            {"name": name, "email": email}
            for email, (name, _) in people.items()
            if not slack.get(email)
        ],
        "lead_slack_id": lead_slack,
    }

    def record(session: Session) -> None:
        _record_responders(
            session, ctx.incident.id, people, slack, lead=lead_user, lead_slack=lead_slack
        )

    return StepOutput(result, record)


def jira(ctx: StepContext) -> StepOutput:
    """The Jira issue, assigned to the lead in the creating call; found again on a retry."""
    incident, settings = ctx.incident, ctx.deps.settings
    tracker, base = ctx.deps.tracker, settings.jira.url.rstrip("/")
    if incident.jira_key:
        return StepOutput({"key": incident.jira_key, "url": f"{base}/browse/{incident.jira_key}"})
    project = ctx.route.jira_project or settings.jira.project
    label = (
        f"pagerduty-{incident.pagerduty_id}"
        if incident.pagerduty_id
        else f"multivac-incident-{incident.id}"
    )
    existing = (
        tracker.find_issue_by_label(project=project, label=label) if ctx.attempt > 1 else None
    )
    directory = Directory(ctx.deps)
    lead_user = _lead_user(ctx, None, directory)
    account = directory.jira_account(lead_user.email) if lead_user else None
    issue = existing or tracker.create_issue(
        project=project,
        issue_type=ctx.route.jira_issue_type or settings.jira.issue_type,
        summary=truncate(one_line(incident.title), JIRA_SUMMARY_MAX),
        description=_description(ctx, lead_user),
        assignee_account_id=account,
        priority=settings.incidents.jira_priority_by_severity.get(incident.severity or ""),
        labels=("multivac", label),
    )
    lead_name, at = (lead_user.name if lead_user else None), datetime.now(UTC)

    def record(session: Session) -> None:
        _record_issue(session, incident.id, issue.key, account=account, lead_name=lead_name, at=at)

    return StepOutput(
        {"key": issue.key, "url": issue.url, "assignee": account, "lead_name": lead_name}, record
    )


def _oncalls(ctx: StepContext) -> list[OnCall]:
    policy = ctx.incident.escalation_policy_id
    if not policy:
        return []
    levels = ctx.deps.settings.incidents.invite_escalation_levels
    found = ctx.deps.pager.oncalls(escalation_policy_ids=[policy])
    return sorted(
        (o for o in found if o.escalation_level <= levels), key=lambda o: o.escalation_level
    )


def _first_oncall(oncalls: list[OnCall]) -> PagerUser | None:
    first = next((o for o in oncalls if o.email), None)
    if first is None or first.email is None:
        return None
    return PagerUser(id=first.user_id, name=first.name, email=first.email)


def _members(future: Future[list[str]]) -> list[str]:
    return future.result()


def _people(
    ctx: StepContext, oncalls: list[OnCall], directory: Directory
) -> dict[str, tuple[str, str | None]]:
    """Email → (name, PagerDuty id) of everyone to invite who is known by email."""
    people: dict[str, tuple[str, str | None]] = {}
    for oncall in oncalls:
        if oncall.email:
            people.setdefault(oncall.email.lower(), (oncall.name, oncall.user_id))
    known = {pd_id for _, pd_id in people.values()}
    lead_id = ctx.incident.lead_pagerduty_id
    if lead_id and lead_id not in known:
        user = directory.pagerduty_user(lead_id)
        people.setdefault(user.email.lower(), (user.name, user.id))
    if ctx.incident.lead_email:
        people.setdefault(ctx.incident.lead_email.lower(), (ctx.incident.lead_name or "", None))
    for email in ctx.route.invite_emails:
        people.setdefault(email.lower(), (email, None))
    return people


def _lead_user(
    ctx: StepContext, oncalls: list[OnCall] | None, directory: Directory
) -> PagerUser | None:
    """The lead; `oncalls` when the caller already has them (else fetched only if needed)."""
    incident = ctx.incident
    if incident.lead_pagerduty_id:
        return directory.pagerduty_user(incident.lead_pagerduty_id)
    if incident.lead_email:  # chosen in Slack when the incident was declared there
        name = incident.lead_name or incident.lead_email
        return PagerUser(id="", name=name, email=incident.lead_email)
    if ctx.deps.settings.incidents.lead_fallback == "first_oncall":
        return _first_oncall(_oncalls(ctx) if oncalls is None else oncalls)
    return None


def _record_responders(
    session: Session,
    incident_id: int,
    people: dict[str, tuple[str, str | None]],
    slack: dict[str, str | None],
    *,
    lead: PagerUser | None,
    lead_slack: str | None,
) -> None:
    found = [
        Person(email, slack_user_id=slack.get(email), pagerduty_user_id=pagerduty_id)
        for email, (_, pagerduty_id) in people.items()
    ]
    add_responders(session, incident_id, Role.RESPONDER, found)
    if lead is not None:  # the incident last (see `flow.record_finished`)
        person = Person(lead.email, slack_user_id=lead_slack, pagerduty_user_id=lead.id or None)
        add_responders(session, incident_id, Role.LEAD, [person])
        update_incident(
            session,
            incident_id,
            lead_pagerduty_id=lead.id or None,
            lead_name=lead.name,
            lead_email=lead.email,
            lead_slack_id=lead_slack,
        )


def _description(ctx: StepContext, lead: PagerUser | None) -> str:
    incident = ctx.incident
    lead_text = f"{lead.name} ({lead.email})" if lead else "unassigned"
    lines = [
        (
            f"PagerDuty incident #{incident.pagerduty_number}: {one_line(incident.title)}"
            if incident.pagerduty_number is not None
            else f"Incident declared in Slack: {one_line(incident.title)}"
        ),
        f"Severity: {incident.severity} · Urgency: {incident.urgency} · "
        f"Service: {incident.service_name}",
        f"PagerDuty: {incident.pagerduty_url or 'n/a'}",
        f"Lead: {lead_text}",
        "Opened by Multivac; the Slack war room is linked from the PagerDuty incident.",
    ]
    return "\n".join(lines)


def _record_issue(
    session: Session,
    incident_id: int,
    key: str,
    *,
    account: str | None,
    lead_name: str | None,
    at: datetime,
) -> None:
    record_once(session, incident_id, "jira_opened", f"Jira {key} opened", at)
    if account:
        text = f"{key} assigned to the lead, {lead_name}"
        record_once(session, incident_id, "lead_assigned", text, at)
    update_incident(session, incident_id, jira_key=key)  # the incident last (flow.record_finished)
