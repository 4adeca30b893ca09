"""Who may do what from Slack (`[authorization]` in the settings).

Resolving an incident and changing its severity belong to the incident lead, the people holding a
role (cx, comms, scribe) and the members of the configured Slack user groups; declaring belongs to
everyone unless user groups are configured. A refusal says who can do it instead.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from multivac.incidents.commands.lookup import ROLE_NAMES, ROLES, role_holders
from multivac.incidents.war_room.context import Deps
from multivac.integrations.errors import NotFound
from multivac.settings import EVERYONE, Audience
from multivac.store.cache import cache_get, cache_put
from multivac.store.database import transaction
from multivac.store.models import Incident

log = logging.getLogger(__name__)

USERGROUP_MEMBER = "usergroup_member"
RESOLVE = "resolve this incident"
CHANGE_SEVERITY = "change this incident's severity"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    refusal: str = ""  # mrkdwn for the refused person: who can do it


def may_declare(deps: Deps, user_id: str) -> Decision:
    audience = deps.settings.authorization.declare
    if audience == EVERYONE or in_usergroups(deps, user_id, audience):
        return Decision(True)
    return Decision(False, f"Only members of {_groups(audience)} can declare an incident.")


def may_resolve(deps: Deps, incident: Incident, user_id: str) -> Decision:
    return _incident_power(deps, incident, user_id, deps.settings.authorization.resolve, RESOLVE)


def may_change_severity(deps: Deps, incident: Incident, user_id: str) -> Decision:
    audience = deps.settings.authorization.severity
    return _incident_power(deps, incident, user_id, audience, CHANGE_SEVERITY)


def in_usergroups(deps: Deps, user_id: str, usergroup_ids: Sequence[str]) -> bool:
    """Whether the user belongs to any of the groups; each answer is cached for
    `usergroup_cache_seconds`, so a busy incident costs Slack one call per group and person."""
    ttl = timedelta(seconds=deps.settings.authorization.usergroup_cache_seconds)
    return any(_member(deps, user_id, group, ttl) for group in usergroup_ids)


def _incident_power(
    deps: Deps, incident: Incident, user_id: str, audience: Audience, action: str
) -> Decision:
    if audience == EVERYONE or user_id == incident.lead_slack_id:
        return Decision(True)
    holders = role_holders(deps, incident.id)
    if user_id in holders.values() or in_usergroups(deps, user_id, audience):
        return Decision(True)
    return Decision(False, _refusal(incident, holders, audience, action))


def _member(deps: Deps, user_id: str, group: str, ttl: timedelta) -> bool:
    key = f"{group}:{user_id}"
    with transaction(deps.sessions) as session:
        hit = cache_get(session, USERGROUP_MEMBER, key, ttl)
    if hit is not None:
        return hit.value == "yes"
    try:
        member = user_id in deps.chat.usergroup_members(usergroup_id=group)
    except NotFound:  # a group id in the settings that Slack does not know
        log.warning("authorization: Slack has no user group %s", group)
        member = False
    with transaction(deps.sessions) as session:
        cache_put(session, USERGROUP_MEMBER, key, "yes" if member else "no")
    return member


def _refusal(incident: Incident, holders: dict[str, str], audience: Audience, action: str) -> str:
    lead = f"<@{incident.lead_slack_id}>" if incident.lead_slack_id else "nobody yet"
    held = [f"{ROLE_NAMES[role]} <@{holders[role]}>" for role in ROLES if role in holders]
    roles = ", ".join(held) if held else "CX liaison, comms, scribe: nobody yet"
    who = [f"the incident lead ({lead})", f"the people holding a role ({roles})"]
    if audience and audience != EVERYONE:
        who.append(f"members of {_groups(audience)}")
    listed = ", ".join(who[:-1]) + " or " + who[-1]
    return f"Only {listed} can {action}."


def _groups(usergroup_ids: Audience) -> str:
    return ", ".join(f"<!subteam^{group}>" for group in usergroup_ids)
