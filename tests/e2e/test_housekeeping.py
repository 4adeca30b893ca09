"""Periodic work with a controlled clock: archives, update reminders, the PagerDuty sweep."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from multivac.incidents.housekeeping import (
    archive_resolved,
    remind_quiet_incidents,
    sweep_pagerduty,
)
from multivac.store.models import Incident, IncidentStatus
from multivac.testing.system import System
from tests.e2e.story import LUCAS, eventually, in_pagerduty

pytestmark = pytest.mark.integration


def war_room(system: System, title: str) -> tuple[dict[str, Any], Incident]:
    paged = system.trigger(service="Bank Feeds", title=title, priority="P1")
    return paged, system.war_room(paged["id"])


def later(system: System, **delta: float) -> datetime:
    """A moment after now as PagerDuty sees it (the e2e sandbox's clock is frozen)."""
    return system.sandbox.sandbox.now() + timedelta(**delta)


def texts(system: System, incident: Incident) -> list[str]:
    return [
        m.get("text") or "" for m in system.channel(incident.slack_channel_id or "")["messages"]
    ]


def test_a_resolved_channel_is_archived_a_day_later_and_unarchived_on_reopen(
    system: System,
) -> None:
    paged, incident = war_room(system, "Feeds stalled")
    in_pagerduty(system, paged["id"], "resolve")
    deps = system.runtime.deps()

    assert archive_resolved(deps, later(system, hours=23)) == []
    assert archive_resolved(deps, later(system, hours=25)) == [incident.id]
    assert system.channel(incident.slack_channel_id or "")["is_archived"] is True
    assert archive_resolved(deps, later(system, hours=26)) == []  # once

    in_pagerduty(system, paged["id"], "reopen")
    eventually(lambda: not system.channel(incident.slack_channel_id or "")["is_archived"],
             "the channel unarchived")  # fmt: skip
    eventually(lambda: any("Reopened in PagerDuty" in t for t in texts(system, incident)),
             "the reopening announced")  # fmt: skip


def test_reopening_before_the_delay_cancels_the_archive(system: System) -> None:
    paged, incident = war_room(system, "Logins failing")
    in_pagerduty(system, paged["id"], "resolve")
    in_pagerduty(system, paged["id"], "reopen")

    assert archive_resolved(system.runtime.deps(), later(system, hours=30)) == []
    assert system.channel(incident.slack_channel_id or "")["is_archived"] is False


def test_a_quiet_sev1_nudges_its_lead_once_per_quiet_spell(system: System) -> None:
    _, incident = war_room(system, "Payments failing")
    deps = system.runtime.deps()

    assert remind_quiet_incidents(deps, later(system, minutes=10)) == []
    assert remind_quiet_incidents(deps, later(system, minutes=31)) == [incident.id]
    assert (
        remind_quiet_incidents(deps, later(system, minutes=40)) == []
    )  # the reminder resets the clock

    nudges = [t for t in texts(system, incident) if t.startswith(":hourglass:")]
    assert nudges == [
        f":hourglass: <@{LUCAS.slack_id}>, no update for 30 minutes. Post one with "
        "`/incident update <where things stand>` so everyone knows."
    ]


def test_a_resolve_whose_webhook_was_lost_is_caught_up_by_the_sweep(system: System) -> None:
    paged, incident = war_room(system, "Bank feeds delayed")
    account = system.sandbox.sandbox.pagerduty
    for subscription in account.subscriptions.values():
        subscription.active = False  # PagerDuty's webhooks stop reaching Multivac
    in_pagerduty(system, paged["id"], "resolve")
    assert system.incident(paged["id"]).status == IncidentStatus.TRIGGERED  # type: ignore[union-attr]

    assert sweep_pagerduty(system.runtime.deps(), later(system, minutes=1)) == []  # too soon to ask
    assert sweep_pagerduty(system.runtime.deps(), later(system, minutes=10)) == [incident.id]

    swept = system.incident(paged["id"])
    assert swept is not None and swept.status == IncidentStatus.RESOLVED
    issue = next(i for i in system.state()["jira"]["issues"] if i["key"] == incident.jira_key)
    assert issue["status"] == "Done"
    assert any("Resolved in PagerDuty" in t for t in texts(system, incident))
