"""Steering an incident from its channel: `lead @user`, `role <cx|comms|scribe> @user`, `sev <1-4>`.

Each records the change first (the database is the truth the war room renders), then brings Slack,
Jira and PagerDuty in line; a vendor that fails is named in the reply, the rest still happens.
"""

from __future__ import annotations

from multivac.incidents.commands import render
from multivac.incidents.commands.authorization import may_change_severity
from multivac.incidents.commands.lookup import ROLE_NAMES, load_incident, pagerduty_user_by_email
from multivac.incidents.commands.replies import Partial, Reply
from multivac.incidents.war_room.context import Deps
from multivac.incidents.war_room.people import Directory
from multivac.integrations.ports import ChatUser
from multivac.settings import IncidentSettings
from multivac.store.database import transaction
from multivac.store.incidents import update_incident
from multivac.store.models import Incident, Role
from multivac.store.responders import set_role_holder


def set_lead(deps: Deps, incident_id: int, actor: str, user_id: str) -> Reply:
    """Make `user_id` the lead: incident record and lead responder, Jira assignee, channel
    membership, topic, summary message, an announcement and a timeline entry."""
    incident = load_incident(deps, incident_id)
    if user_id == incident.lead_slack_id:
        return Reply(f"<@{user_id}> already leads this incident.", done=False)
    person = deps.chat.user_info(user_id=user_id)
    if not person.email:
        return Reply(_no_email(user_id), done=False)
    email, partial = person.email, Partial()
    account = partial.attempt("look them up in Jira", lambda: Directory(deps).jira_account(email))
    paged = partial.attempt(
        "look them up in PagerDuty", lambda: pagerduty_user_by_email(deps, email)
    )
    _record_lead(deps, incident_id, person, email, paged.id if paged else None)
    _assign_jira(deps, incident, person, account, partial)
    changed = load_incident(deps, incident_id)
    _join(deps, changed, person.id, partial)
    render.refresh_topic(deps, changed, partial)
    render.refresh_summary(deps, changed, partial)
    render.announce(
        deps,
        changed,
        f":busts_in_silhouette: <@{actor}> made <@{person.id}> the incident lead.",
        partial,
    )
    render.record(deps, incident_id, "lead_changed", f"Lead: {person.name} (by <@{actor}>)", actor)
    return partial.reply(f"<@{person.id}> is now the incident lead.")


def set_role(deps: Deps, incident_id: int, actor: str, role: str, user_id: str) -> Reply:
    """Give `user_id` the role (they replace its previous holder); the CX liaison is also kept on
    the incident. Shown in the summary message; announced and added to the timeline."""
    person = deps.chat.user_info(user_id=user_id)
    if not person.email:
        return Reply(_no_email(user_id), done=False)
    name, partial = ROLE_NAMES[Role(role)], Partial()
    with transaction(deps.sessions) as session:
        set_role_holder(
            session, incident_id, role=role, email=person.email, slack_user_id=person.id
        )
        if role == Role.CX:
            update_incident(session, incident_id, cx_liaison_slack_id=person.id)
    incident = load_incident(deps, incident_id)
    _join(deps, incident, person.id, partial)
    render.refresh_summary(deps, incident, partial)
    render.announce(deps, incident, f":label: <@{actor}> made <@{person.id}> the {name}.", partial)
    render.record(
        deps, incident_id, "role_assigned", f"{name}: {person.name} (by <@{actor}>)", actor
    )
    return partial.reply(f"<@{person.id}> is now the {name}.")


def set_severity(deps: Deps, incident_id: int, actor: str, severity: str) -> Reply:
    """Change the severity (if the actor may): topic, summary, Jira priority, PagerDuty priority
    when one maps to it, an announcement and a timeline entry."""
    incident = load_incident(deps, incident_id)
    decision = may_change_severity(deps, incident, actor)
    if not decision.allowed:
        return Reply(decision.refusal, done=False)
    if incident.severity == severity:
        return Reply(f"This incident is already {severity}.", done=False)
    before, partial = incident.severity or "no severity", Partial()
    with transaction(deps.sessions) as session:
        update_incident(session, incident_id, severity=severity)
    changed = load_incident(deps, incident_id)
    render.refresh_topic(deps, changed, partial)
    render.refresh_summary(deps, changed, partial)
    _vendor_priorities(deps, changed, severity, partial)
    text = f"Severity: {before} → {severity} (by <@{actor}>)"
    render.announce(
        deps,
        changed,
        f":rotating_light: <@{actor}> changed the severity from {before} to *{severity}*.",
        partial,
    )
    render.record(deps, incident_id, "severity_changed", text, actor)
    return partial.reply(f"The incident is now {severity}.")


def _record_lead(
    deps: Deps, incident_id: int, person: ChatUser, email: str, pagerduty_id: str | None
) -> None:
    with transaction(deps.sessions) as session:
        update_incident(
            session,
            incident_id,
            lead_slack_id=person.id,
            lead_name=person.name,
            lead_email=email,
            lead_pagerduty_id=pagerduty_id,
        )
        set_role_holder(
            session,
            incident_id,
            role=Role.LEAD,
            email=email,
            slack_user_id=person.id,
            pagerduty_user_id=pagerduty_id,
        )


def pagerduty_priority(rules: IncidentSettings, severity: str) -> str | None:
    """The highest PagerDuty priority that maps to `severity` (P4 for SEV4 when P4 and P5 do)."""
    return next((p for p, sev in rules.severity_by_priority.items() if sev == severity), None)


def _vendor_priorities(deps: Deps, incident: Incident, severity: str, partial: Partial) -> None:
    rules = deps.settings.incidents
    jira_priority = rules.jira_priority_by_severity.get(severity)
    key, pd_priority, pd_id = (
        incident.jira_key,
        pagerduty_priority(rules, severity),
        incident.pagerduty_id,
    )
    if key and jira_priority:
        partial.attempt(
            "change the Jira priority",
            lambda: deps.tracker.set_priority(key=key, priority=jira_priority),
        )
    if pd_id and pd_priority:
        partial.attempt(
            "change the PagerDuty priority",
            lambda: deps.pager.set_priority(incident_id=pd_id, priority=pd_priority),
        )


def _assign_jira(
    deps: Deps, incident: Incident, person: ChatUser, account: str | None, partial: Partial
) -> None:
    key = incident.jira_key
    if not key:
        return
    if account is None:
        partial.problems.append(
            f"found no Jira account for {person.name}, so {key} keeps its assignee"
        )
        return
    partial.attempt(
        "assign the Jira issue", lambda: deps.tracker.assign(key=key, account_id=account)
    )


def _join(deps: Deps, incident: Incident, user_id: str, partial: Partial) -> None:
    channel_id = incident.slack_channel_id
    if channel_id:
        partial.attempt(
            "invite them to the channel",
            lambda: deps.chat.invite(channel_id=channel_id, user_ids=[user_id]),
        )


def _no_email(user_id: str) -> str:
    return (
        f"Slack does not show Multivac an email for <@{user_id}>, so they cannot be matched in "
        "Jira and PagerDuty. Choose someone else, or ask a Slack admin to show emails to apps."
    )
