"""Talking about an incident from its channel: `update <text>` and `page <service or @user>`."""

from __future__ import annotations

from multivac.incidents.commands import render
from multivac.incidents.commands.lookup import (
    find_services,
    load_incident,
    pagerduty_user_by_email,
    service_names,
)
from multivac.incidents.commands.replies import Partial, Reply
from multivac.incidents.text import SECTION_MAX, escape_mrkdwn, one_line, truncate
from multivac.incidents.war_room.context import Deps
from multivac.integrations.ports import PagerUser
from multivac.store.models import Incident

PAGE_MESSAGE_MAX = 500


def post_update(deps: Deps, incident_id: int, actor: str, text: str) -> Reply:
    """Post a status update in the channel with its author, and keep it in the timeline, on the
    Jira issue (a comment) and on the PagerDuty incident (a note)."""
    incident, partial = load_incident(deps, incident_id), Partial()
    person = partial.attempt("look you up in Slack", lambda: deps.chat.user_info(user_id=actor))
    author = person.name if person else actor
    quoted = "\n".join(f">{escape_mrkdwn(line)}" for line in text.splitlines() or [""])
    message = truncate(f":mega: *Status update* from <@{actor}>\n{quoted}", SECTION_MAX)
    render.announce(deps, incident, message, partial)
    render.record(deps, incident_id, "status_update", text, actor)
    copied = f"Status update from {author} (Slack): {text}"
    if (key := incident.jira_key) is not None:
        partial.attempt("copy it to Jira", lambda: deps.tracker.comment(key=key, body=copied))
    if (pd_id := incident.pagerduty_id) is not None:
        partial.attempt(
            "copy it to PagerDuty",
            lambda: deps.pager.add_note(incident_id=pd_id, content=copied),
        )
    return partial.reply("Your update is posted" + _copied_to(incident) + ".")


def page(
    deps: Deps,
    incident_id: int,
    actor: str,
    *,
    target: str,
    target_is_user: bool,
    message: str,
) -> Reply:
    """Ask PagerDuty to add a responder (a user, or a service's escalation policy). They are
    invited to the channel when PagerDuty reports them added (its responder webhook)."""
    incident = load_incident(deps, incident_id)
    pd_id = incident.pagerduty_id
    if pd_id is None:
        return Reply(
            "This incident has no PagerDuty incident to add responders to. Invite people to the "
            "channel directly.",
            done=False,
        )
    requester = _requester(deps, actor)
    if requester is None:
        return Reply("Multivac has no PagerDuty user to page as; check `pagerduty.from_email`.")
    found = _user_target(deps, target) if target_is_user else _service_target(deps, target)
    if isinstance(found, Reply):
        return found
    label, user_ids, policy_ids = found
    deps.pager.add_responders(
        incident_id=pd_id,
        requester_id=requester.id,
        user_ids=user_ids,
        escalation_policy_ids=policy_ids,
        message=truncate(one_line(message) or _default_message(incident), PAGE_MESSAGE_MAX),
    )
    partial = Partial()
    said = f": “{escape_mrkdwn(one_line(message))}”" if message else ""
    render.announce(
        deps,
        incident,
        f":pager: <@{actor}> paged {label} through PagerDuty{said}. They will be invited to "
        "this channel as soon as PagerDuty adds them to the incident.",
        partial,
    )
    render.record(deps, incident_id, "responders_requested", f"Paged {label}", actor)
    return partial.reply(f"Paged {label}; they will be invited here once PagerDuty has them.")


Target = tuple[str, list[str], list[str]]  # label, PagerDuty user ids, escalation policy ids


def _user_target(deps: Deps, user_id: str) -> Target | Reply:
    person = deps.chat.user_info(user_id=user_id)
    user = pagerduty_user_by_email(deps, person.email) if person.email else None
    if user is None:
        return Reply(
            f"<@{user_id}> has no PagerDuty account Multivac can find by email, so PagerDuty "
            "cannot page them. Invite them to the channel instead.",
            done=False,
        )
    return f"<@{user_id}>", [user.id], []


def _service_target(deps: Deps, name: str) -> Target | Reply:
    services = deps.pager.services()
    found = find_services(services, name)
    shown = escape_mrkdwn(name)
    if len(found) != 1:
        problem = "matches several" if found else "matches no"
        names = service_names(found or services)
        return Reply(f"'{shown}' {problem} PagerDuty services. Try one of: {names}.", done=False)
    service = found[0]
    if service.escalation_policy_id is None:
        return Reply(f"{escape_mrkdwn(service.name)} has no escalation policy to page.", False)
    label = f"the on-call of {escape_mrkdwn(service.name)}"
    return label, [], [service.escalation_policy_id]


def _requester(deps: Deps, actor: str) -> PagerUser | None:
    """The actor's own PagerDuty user when they have one, else Multivac's."""
    person = deps.chat.user_info(user_id=actor)
    own = pagerduty_user_by_email(deps, person.email) if person.email else None
    return own or pagerduty_user_by_email(deps, deps.settings.pagerduty.from_email)


def _default_message(incident: Incident) -> str:
    where = f" in Slack #{incident.slack_channel_name}" if incident.slack_channel_name else ""
    return f"Please join the incident {incident.severity or ''} {incident.title}{where}".strip()


def _copied_to(incident: Incident) -> str:
    places = [f"Jira {incident.jira_key}"] if incident.jira_key else []
    if incident.pagerduty_number is not None or incident.pagerduty_id:
        places.append("PagerDuty")
    return " and copied to " + " and ".join(places) if places else ""
