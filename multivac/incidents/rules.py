"""Declaration rules: which PagerDuty incidents get a war room, at which severity, named how."""

from __future__ import annotations

from datetime import datetime

from multivac.incidents.pagerduty_events import IncidentFacts
from multivac.incidents.text import channel_name, slugify
from multivac.settings import IncidentSettings

SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")


def qualifies(rules: IncidentSettings, facts: IncidentFacts) -> bool:
    """True when the incident's urgency or priority is listed, on a listed (or any) service."""
    auto = rules.auto_declare
    services = {s.lower() for s in auto.services}
    if services and not services & {facts.service_id.lower(), facts.service_name.lower()}:
        return False
    return facts.urgency in auto.urgencies or (
        facts.priority is not None and facts.priority in auto.priorities
    )


def severity_for(rules: IncidentSettings, facts: IncidentFacts) -> str:
    """From the PagerDuty priority when mapped, else from the urgency, else SEV3."""
    if facts.priority and facts.priority in rules.severity_by_priority:
        return rules.severity_by_priority[facts.priority]
    return rules.severity_by_urgency.get(facts.urgency, "SEV3")


def war_room_channel_name(
    rules: IncidentSettings,
    *,
    triggered_at: datetime,
    number: int | str,
    title: str,
    service: str,
    severity: str,
    attempt: int = 1,
) -> str:
    """The channel name from the template; `attempt` > 1 adds a `-2`, `-3`, ... suffix."""
    rendered = rules.channel_name_template.format(
        date=triggered_at.strftime("%Y%m%d"),
        number=number,
        title=slugify(title),
        service=slugify(service),
        severity=severity.lower(),
    )
    return channel_name(rendered, f"-{attempt}" if attempt > 1 else "")
