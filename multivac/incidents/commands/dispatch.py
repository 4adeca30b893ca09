"""From what Slack sent (a slash command, a button click, a modal submission) to the command
functions, and their answer back to the person, ephemeral. Runs in a worker, after Slack's ack.

Nothing here raises for a vendor failure or an incident that vanished: the person is told in plain
words. Anything else is a bug: they are told something went wrong and the error propagates.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from multivac.incidents import declare
from multivac.incidents.commands import modals
from multivac.incidents.commands.authorization import may_change_severity, may_declare, may_resolve
from multivac.incidents.commands.lookup import incident_in_channel, load_incident
from multivac.incidents.commands.oncall import who_is_on_call
from multivac.incidents.commands.replies import Reply, error_words
from multivac.incidents.commands.resolution import ALREADY_RESOLVED, acknowledge, resolve
from multivac.incidents.commands.status import list_incidents, status_card
from multivac.incidents.commands.steering import set_lead, set_role, set_severity
from multivac.incidents.commands.updates import page, post_update
from multivac.incidents.slack_commands import (
    HELP_TEXT,
    Command,
    CommandError,
    Declare,
    Help,
    Invocation,
    ListIncidents,
    OnCall,
    Page,
    PostUpdate,
    Resolve,
    SetLead,
    SetRole,
    SetSeverity,
    Status,
    parse,
)
from multivac.incidents.war_room.context import Deps
from multivac.incidents.war_room.messages import ACKNOWLEDGE, CHANGE_SEVERITY, RESOLVE
from multivac.integrations.errors import IntegrationError, TriggerExpired
from multivac.store.models import IncidentStatus

log = logging.getLogger(__name__)

NOT_IN_INCIDENT = (
    "That works in an incident's channel, and this is not one. "
    "`/incident list` shows the open incidents and their channels."
)
VANISHED = "That incident no longer exists in Multivac."
UNEXPECTED = "Multivac ran into a problem it did not expect; nothing more was done. Try again?"
EXPIRED = "Slack gives Multivac 3 seconds to open a form and this took longer. Click again."


def handle_invocation(deps: Deps, invocation: Invocation) -> None:
    """Run `/incident <text>` as `invocation.user_id`; answer them where they typed it."""
    try:
        command = parse(invocation.text)
    except CommandError as error:
        tell(deps, invocation.channel_id, invocation.user_id, str(error))
        return
    reply = _guarded(
        deps, invocation.channel_id, invocation.user_id, lambda: _run(deps, invocation, command)
    )
    if reply is not None:
        tell(deps, invocation.channel_id, invocation.user_id, reply.text)


def handle_block_action(deps: Deps, payload: dict[str, Any]) -> None:
    """A click on the summary message's Acknowledge, Resolve or Change severity button (the
    button's value is the incident id). Other actions are not ours and are ignored."""
    actions = payload.get("actions") or [{}]
    action_id, value = str(actions[0].get("action_id", "")), str(actions[0].get("value", ""))
    user = str((payload.get("user") or {}).get("id", ""))
    channel = str((payload.get("channel") or {}).get("id", "")) or str(
        (payload.get("container") or {}).get("channel_id", "")
    )
    if action_id not in (ACKNOWLEDGE, RESOLVE, CHANGE_SEVERITY) or not value.isdigit():
        return
    trigger = str(payload.get("trigger_id", ""))
    reply = _guarded(
        deps, channel, user, lambda: _click(deps, action_id, int(value), user, trigger)
    )
    if reply is not None and channel:
        tell(deps, channel, user, reply.text)


def handle_view_submission(deps: Deps, payload: dict[str, Any]) -> None:
    """The Resolve and Change severity modals, submitted: resolve, or set the severity, and tell
    the person in the incident's channel. Other callbacks are not handled here."""
    callback = str((payload.get("view") or {}).get("callback_id", ""))
    incident_id = modals.submitted_incident(payload)
    user = str((payload.get("user") or {}).get("id", ""))
    if callback not in (modals.RESOLVE_CALLBACK, modals.SEVERITY_CALLBACK) or incident_id is None:
        return
    try:
        channel = load_incident(deps, incident_id).slack_channel_id or ""
    except LookupError:
        return
    reply = _guarded(
        deps, channel, user, lambda: _submitted(deps, callback, incident_id, user, payload)
    )
    if reply is not None and channel:
        tell(deps, channel, user, reply.text)


def tell(deps: Deps, channel_id: str, user_id: str, text: str) -> None:
    """An ephemeral message; when Slack refuses it (the bot is not in that channel) it is logged."""
    try:
        deps.chat.post_ephemeral(channel_id=channel_id, user_id=user_id, text=text)
    except IntegrationError as error:
        log.warning("could not answer %s in %s: %s", user_id, channel_id, error)


def _guarded(
    deps: Deps, channel_id: str, user_id: str, run: Callable[[], Reply | None]
) -> Reply | None:
    try:
        return run()
    except IntegrationError as error:
        return Reply(f"That did not work: {error_words(error)}.", done=False)
    except LookupError:
        return Reply(VANISHED, done=False)
    except Exception:
        tell(deps, channel_id, user_id, UNEXPECTED)
        raise


def _run(deps: Deps, invocation: Invocation, command: Command) -> Reply | None:  # noqa: PLR0911
    actor = invocation.user_id
    match command:
        case Help():
            return Reply(HELP_TEXT)
        case Declare(title=title):
            decision = may_declare(deps, actor)
            if not decision.allowed:
                return Reply(decision.refusal, done=False)
            declare.open_modal(deps, invocation, title)
            return None
        case OnCall(scope=scope):
            return who_is_on_call(deps, actor, scope)
        case ListIncidents():
            return list_incidents(deps)
    incident = incident_in_channel(deps, invocation.channel_id)
    if incident is None:
        return Reply(NOT_IN_INCIDENT, done=False)
    return _in_incident(deps, incident.id, actor, command)


def _in_incident(  # noqa: PLR0911 - one case per command reads best
    deps: Deps, incident_id: int, actor: str, command: Command
) -> Reply:
    match command:
        case SetLead(user_id=user_id):
            return set_lead(deps, incident_id, actor, user_id)
        case SetRole(role=role, user_id=user_id):
            return set_role(deps, incident_id, actor, role, user_id)
        case SetSeverity(severity=severity):
            return set_severity(deps, incident_id, actor, severity)
        case PostUpdate(text=text):
            return post_update(deps, incident_id, actor, text)
        case Page(target=target, target_is_user=is_user, message=message):
            return page(
                deps, incident_id, actor, target=target, target_is_user=is_user, message=message
            )
        case Resolve(summary=summary):
            return resolve(deps, incident_id, actor, summary)
        case Status():
            return status_card(deps, incident_id)
    return Reply(HELP_TEXT, done=False)


def _click(deps: Deps, action_id: str, incident_id: int, user: str, trigger: str) -> Reply | None:
    if action_id == ACKNOWLEDGE:
        return acknowledge(deps, incident_id, user)
    incident = load_incident(deps, incident_id)
    if incident.status == IncidentStatus.RESOLVED:
        return Reply(ALREADY_RESOLVED, done=False)
    if action_id == RESOLVE:
        decision, view = may_resolve(deps, incident, user), modals.resolve_view(incident)
    else:
        decision, view = may_change_severity(deps, incident, user), modals.severity_view(incident)
    if not decision.allowed:
        return Reply(decision.refusal, done=False)
    try:
        deps.chat.open_view(trigger_id=trigger, view=view)
    except TriggerExpired:
        return Reply(EXPIRED, done=False)
    return None


def _submitted(
    deps: Deps, callback: str, incident_id: int, user: str, payload: dict[str, Any]
) -> Reply | None:
    if callback == modals.RESOLVE_CALLBACK:
        return resolve(deps, incident_id, user, modals.submitted_summary(payload))
    severity = modals.submitted_severity(payload)
    return set_severity(deps, incident_id, user, severity) if severity else None
