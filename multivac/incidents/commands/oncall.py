"""`oncall [team or service]`: who is on call right now at each escalation level, and until when.

PagerDuty teams are not behind the `Pager` port, so a team is found through the services named
like it ("payments" finds "Payments Gateway"). With no argument, the caller's own rotations: the
services whose escalation policy has them on call now, and those routed to their user groups.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from multivac.incidents.commands.authorization import in_usergroups
from multivac.incidents.commands.lookup import find_services, service_names
from multivac.incidents.commands.replies import Reply
from multivac.incidents.text import SECTION_MAX, escape_mrkdwn, truncate
from multivac.incidents.war_room.context import Deps
from multivac.integrations.ports import OnCall, PagerService

NOBODY = "nobody is on call"


def who_is_on_call(deps: Deps, actor: str, scope: str) -> Reply:
    services = deps.pager.services()
    if scope:
        chosen = find_services(services, scope)
        if not chosen:
            return Reply(
                f"No PagerDuty service or team matches '{escape_mrkdwn(scope)}'. "
                f"Try one of: {service_names(services)}.",
                done=False,
            )
        entries = deps.pager.oncalls(escalation_policy_ids=_policies(chosen))
    else:
        entries = deps.pager.oncalls(escalation_policy_ids=_policies(services))
        chosen = _callers_services(deps, actor, services, entries)
        if not chosen:
            return Reply(
                "Multivac cannot tell which teams you are in. Type `/incident oncall <team or "
                f"service>`, with one of: {service_names(services)}.",
                done=False,
            )
    return Reply(truncate("\n\n".join(_service_block(s, entries) for s in chosen), SECTION_MAX))


def _policies(services: Sequence[PagerService]) -> list[str]:
    return sorted({s.escalation_policy_id for s in services if s.escalation_policy_id})


def _callers_services(
    deps: Deps, actor: str, services: Sequence[PagerService], entries: Sequence[OnCall]
) -> list[PagerService]:
    email = (deps.chat.user_info(user_id=actor).email or "").lower()
    mine = {e.escalation_policy_id for e in entries if email and (e.email or "").lower() == email}
    routes = deps.settings.incidents.routes
    routed = {
        route.service.lower()
        for route in routes
        if route.invite_usergroups and in_usergroups(deps, actor, route.invite_usergroups)
    }
    return [
        s
        for s in services
        if s.escalation_policy_id in mine or routed & {s.name.lower(), s.id.lower()}
    ]


def _service_block(service: PagerService, entries: Sequence[OnCall]) -> str:
    levels: dict[int, list[OnCall]] = defaultdict(list)
    for entry in entries:
        if entry.escalation_policy_id == service.escalation_policy_id:
            levels[entry.escalation_level].append(entry)
    lines = [f"*{escape_mrkdwn(service.name)}*"]
    for level in sorted(levels):
        people = ", ".join(_person(e) for e in sorted(levels[level], key=lambda e: e.name))
        lines.append(f"Level {level}: {people}")
    if len(lines) == 1:
        lines.append(NOBODY)
    return "\n".join(lines)


def _person(entry: OnCall) -> str:
    return f"{escape_mrkdwn(entry.name)} ({_until(entry.end)})"


def _until(end: datetime | None) -> str:
    """Slack shows the date in each reader's time zone; the fallback is UTC."""
    if end is None:
        return "always"
    fallback = end.strftime("%a %d %b %H:%M UTC")
    return f"until <!date^{int(end.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"
