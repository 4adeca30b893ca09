"""The post-incident record: rendered from the incident, its timeline and its people, and written
to the Jira issue once, however often a resolution is repeated."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from multivac.incidents import postmortem
from multivac.incidents.commands.dispatch import handle_invocation
from multivac.integrations.errors import Transient
from multivac.store.database import transaction
from multivac.store.incidents import update_incident
from multivac.store.models import (
    Incident,
    IncidentSource,
    IncidentStatus,
    Responder,
    Role,
    TimelineEntry,
)
from multivac.store.timeline import add_timeline, timeline
from tests.unit.commands_world import LEAD, World

T0 = datetime(2026, 11, 22, 16, 0, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def an_incident(**fields: object) -> Incident:
    values: dict[str, object] = {
        "id": 1,
        "number": 12,
        "source": IncidentSource.PAGERDUTY,
        "title": "Bank feeds delayed",
        "severity": "SEV3",
        "status": IncidentStatus.RESOLVED,
        "service_name": "Bank Feeds",
        "pagerduty_number": 7,
        "jira_key": "INC-1",
        "lead_name": "Lucas Kim",
        "lead_email": "lucas@tuatara.example",
        "lead_slack_id": "U0LEAD",
        "lead_pagerduty_id": "PLUCAS",
        "cx_liaison_slack_id": "U0CX",
        "triggered_at": T0,
        "acknowledged_at": at(4),
        "resolved_at": at(72),
        "created_at": T0,
        **fields,
    }
    return Incident(**values)


def entry(minutes: float, kind: str, text: str, **fields: object) -> TimelineEntry:
    return TimelineEntry(incident_id=1, at=at(minutes), kind=kind, text=text, **fields)


PEOPLE = [
    Responder(role=Role.LEAD, email="lucas@tuatara.example", slack_user_id="U0LEAD"),
    Responder(role=Role.RESPONDER, email="alice@tuatara.example", slack_user_id="U0ALICE",
              pagerduty_user_id="PALICE"),
    Responder(role=Role.RESPONDER, email="lucas@tuatara.example", slack_user_id="U0LEAD"),
    Responder(role=Role.CX, email="mason@tuatara.example", slack_user_id="U0CX"),
]  # fmt: skip

TIMELINE = [
    entry(0, "declared", "War room declared (high urgency)", source="pagerduty"),
    entry(4, "acknowledged", "Acknowledged in PagerDuty", actor="PLUCAS", source="pagerduty"),
    entry(20, "severity", "Severity changed to SEV2 in PagerDuty", actor="PALICE",
          source="pagerduty", data={"from": "SEV1", "to": "SEV2"}),
    entry(30, "severity_changed", "Severity: SEV2 → SEV3 (by <@U0LEAD>)", actor="U0LEAD",
          source="slack"),
    entry(31, "status_update", "Failover done, <@U0ALICE> and <@U0STRANGER> watching",
          actor="U0ALICE", source="slack"),
    entry(72, "resolved", "Resolved by <@U0LEAD>: bank API keys rotated", actor="U0LEAD",
          source="slack"),
    entry(73, "postmortem_written", "Post-incident record written to Jira INC-1",
          source="multivac", dedup_key="postmortem"),
]  # fmt: skip


def test_the_record_has_every_section_in_plain_text() -> None:
    text = postmortem.record_text(an_incident(), TIMELINE, PEOPLE)

    lines = text.splitlines()
    assert lines[0] == "Post-incident record"
    assert "Incident: #12 Bank feeds delayed (Bank Feeds, PagerDuty #7)" in lines
    assert "Summary: bank API keys rotated" in lines
    assert "Lead: Lucas Kim (lucas@tuatara.example)" in lines
    assert "Roles: CX liaison mason@tuatara.example" in lines
    assert (
        "Responders: lucas@tuatara.example (lead), alice@tuatara.example, "
        "mason@tuatara.example (CX liaison)"
    ) in lines
    assert "<@" not in text and "*" not in text


def test_the_severity_history_runs_from_the_start_to_the_end_with_times() -> None:
    lines = postmortem.record_text(an_incident(), TIMELINE, PEOPLE).splitlines()

    start = lines.index("Severity: SEV1 → SEV2 → SEV3")
    assert lines[start + 1 : start + 4] == [
        "  SEV1 from 2026-11-22 16:00:00 UTC (at the start)",
        "  SEV2 from 2026-11-22 16:20:00 UTC (in PagerDuty, by alice@tuatara.example)",
        "  SEV3 from 2026-11-22 16:30:00 UTC (in Slack, by Lucas Kim)",
    ]


def test_a_pagerduty_change_without_data_still_counts_and_no_change_shows_one_severity() -> None:
    older = [entry(20, "severity", "Severity changed to SEV3 in PagerDuty", source="pagerduty")]
    changed = postmortem.record_text(an_incident(), older, PEOPLE).splitlines()
    unchanged = postmortem.record_text(an_incident(), [], PEOPLE).splitlines()

    assert "Severity: unknown → SEV3" in changed
    assert "Severity: SEV3" in unchanged
    assert "  SEV3 from 2026-11-22 16:00:00 UTC (at the start)" in unchanged


def test_times_and_durations_are_given_as_people_say_them() -> None:
    lines = postmortem.record_text(an_incident(), TIMELINE, PEOPLE).splitlines()

    start = lines.index("Times:")
    assert lines[start + 1 : start + 6] == [
        "  Triggered: 2026-11-22 16:00:00 UTC",
        "  Acknowledged: 2026-11-22 16:04:00 UTC",
        "  Resolved: 2026-11-22 17:12:00 UTC",
        "  Time to acknowledge: 4m",
        "  Time to resolve: 1h 12m",
    ]
    never = postmortem.record_text(an_incident(acknowledged_at=None), [], PEOPLE)
    assert "  Acknowledged: never" in never and "  Time to acknowledge: n/a" in never


def test_the_timeline_is_one_line_per_entry_with_mentions_made_readable() -> None:
    lines = postmortem.record_text(an_incident(), TIMELINE, PEOPLE).splitlines()

    start = lines.index("Timeline (UTC):")
    assert lines[start + 1 :] == [
        "  2026-11-22",
        "  16:00:00 UTC  War room declared (high urgency)",
        "  16:04:00 UTC  Acknowledged in PagerDuty (Lucas Kim)",
        "  16:20:00 UTC  Severity changed to SEV2 in PagerDuty (alice@tuatara.example)",
        "  16:30:00 UTC  Severity: SEV2 → SEV3 (by Lucas Kim)",
        "  16:31:00 UTC  Failover done, alice@tuatara.example and @U0STRANGER watching",
        "  17:12:00 UTC  Resolved by Lucas Kim: bank API keys rotated",
    ]


def test_without_a_resolution_summary_the_title_is_the_summary() -> None:
    pagerduty = [entry(72, "resolved", "Resolved in PagerDuty", source="pagerduty")]

    text = postmortem.record_text(an_incident(), pagerduty, PEOPLE)

    assert "Summary: Bank feeds delayed" in text.splitlines()


def test_the_same_inputs_give_the_same_text() -> None:
    first = postmortem.record_text(an_incident(), TIMELINE, PEOPLE)
    assert postmortem.record_text(an_incident(), list(TIMELINE), list(PEOPLE)) == first


def test_a_very_long_timeline_keeps_its_ends_within_jiras_limit() -> None:
    many = [entry(i / 10, "note", f"Note {i}: " + "x" * 200) for i in range(400)]

    text = postmortem.record_text(an_incident(), many, PEOPLE)

    assert len(text) <= postmortem.MAX_CHARS
    assert "Note 0: " in text and "Note 399: " in text
    assert "entries left out" in text


# The world: fakes and a real, migrated SQLite database.


def records(world: World) -> list[str]:
    comments = world.tracker.issues[world.jira_key].comments
    return [c for c in comments if c.startswith("Post-incident record")]


def test_the_record_is_written_once_however_often_it_is_asked_for(world: World) -> None:
    assert postmortem.write(world.deps, world.incident_id) is True
    assert postmortem.write(world.deps, world.incident_id) is True

    assert len(records(world)) == 1
    assert world.tracker.calls_to("comment") != []
    with transaction(world.deps.sessions) as session:
        kinds = [e.kind for e in timeline(session, world.incident_id)]
    assert kinds.count("postmortem_written") == 1


def test_without_a_jira_issue_nothing_is_written(world: World) -> None:
    with transaction(world.deps.sessions) as session:
        update_incident(session, world.incident_id, jira_key=None)

    assert postmortem.write(world.deps, world.incident_id) is False
    assert world.tracker.calls_to("comment") == []


def test_a_jira_failure_is_raised_and_a_later_attempt_writes_it(world: World) -> None:
    world.tracker.fail("comment", Transient("jira", "Jira is down"))

    with pytest.raises(Transient):
        postmortem.write(world.deps, world.incident_id)
    assert records(world) == []

    assert postmortem.write(world.deps, world.incident_id) is True
    assert len(records(world)) == 1


def test_resolving_in_slack_writes_one_record_with_the_summary(world: World) -> None:
    with transaction(world.deps.sessions) as session:
        add_timeline(session, world.incident_id, "severity_changed",
                     f"Severity: SEV2 → SEV3 (by <@{LEAD.slack_id}>)",
                     datetime.now(UTC) - timedelta(minutes=30), actor=LEAD.slack_id,
                     source="slack")  # fmt: skip

    handle_invocation(world.deps, world.invocation(LEAD, "resolve bank API keys rotated"))
    handle_invocation(world.deps, world.invocation(LEAD, "resolve again"))

    [record] = records(world)
    lines = record.splitlines()
    assert "Summary: bank API keys rotated" in lines
    assert "Severity: SEV2 → SEV3" in lines
    assert f"Lead: {LEAD.name} ({LEAD.email})" in lines
    assert any(line.endswith(f"Resolved by {LEAD.name}: bank API keys rotated") for line in lines)
    assert world.said_to(LEAD)[0] == "The incident is resolved."
