"""The war-room flow's bookkeeping on SQLite and PostgreSQL: steps finishing at the same moment
still hand every step they unblock to exactly one worker, whether they queue those steps for any
worker or claim them for the worker that finished."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from multivac.incidents.war_room.context import Deps, StepOutput, record_once
from multivac.incidents.war_room.flow import (
    Finished,
    Next,
    claim,
    record_finished,
    start,
    states,
)
from multivac.incidents.war_room.graph import StepState
from multivac.store.database import transaction
from multivac.store.incidents import get_or_create_incident_for_pagerduty, update_incident
from multivac.store.models import StepResult, utcnow
from multivac.store.steps import claim_step
from tests.integration.concurrency import run_concurrently

pytestmark = pytest.mark.integration

Factory = sessionmaker[Session]
WAITING_FOR_BOTH = {"topic", "bookmarks", "summary"}  # need the channel, wait for Jira


def record_now(
    deps: Deps, incident_id: int, step: str, output: StepOutput, worker: str | None
) -> Next:
    """Record `step` as having just finished, queuing what it made ready (or claiming it)."""
    finished = [Finished(step, output, utcnow())]
    return record_finished(deps, incident_id, finished, claim_next_for=worker)


def war_room_running_its_first_steps(deps: Deps, pagerduty_id: str) -> int:
    with transaction(deps.sessions) as session:
        incident, _ = get_or_create_incident_for_pagerduty(session, pagerduty_id, title="DB down")
        incident_id = incident.id
    assert start(deps, incident_id) == ["channel", "responders", "jira"]
    with transaction(deps.sessions) as session:
        for step in ("channel", "responders", "jira"):
            assert claim_step(session, incident_id, step, "worker") == 1
    record_now(deps, incident_id, "responders", StepOutput({"slack_ids": [], "unmapped": []}), None)
    return incident_id


def outputs(incident_id: int) -> dict[str, StepOutput]:
    """What the channel and Jira steps return, with the writes a real step makes along with its
    result: a timeline entry (a row that refers to the incident, for which PostgreSQL locks the
    incident's key), then the incident itself."""

    channel, issue = f"C{incident_id}", f"INC-{incident_id}"

    def writes(step: str, **fields: str) -> Callable[[Session], None]:
        def record(session: Session) -> None:
            # Rows referring to the incident first, then the incident: as the responders step.
            record_once(session, incident_id, f"{step}_done", step, datetime.now(UTC))
            update_incident(session, incident_id, **fields)  # type: ignore[arg-type]

        return record

    return {
        "channel": StepOutput({"id": channel}, writes("channel", slack_channel_id=channel)),
        "jira": StepOutput({"key": issue}, writes("jira", jira_key=issue)),
    }


def finish_channel_and_jira_together(deps: Deps, incident_id: int, *, claiming: bool) -> list[Next]:
    """Record the channel and Jira steps at the same moment, as two workers would; with
    `claiming`, each claims what it made ready for itself (named after its step)."""
    made = outputs(incident_id)

    def finish(index: int) -> Next:
        step = ("channel", "jira")[index]
        worker = step if claiming else None
        return record_now(deps, incident_id, step, made[step], worker)

    return run_concurrently(2, finish)


def test_two_steps_finishing_together_queue_what_needs_both_once(
    fake_deps: Deps,
) -> None:
    deps = fake_deps
    for attempt in range(10):  # the race is short: give it several chances to go wrong
        incident_id = war_room_running_its_first_steps(deps, f"PRACE{attempt}")

        finished = finish_channel_and_jira_together(deps, incident_id, claiming=False)

        handed_over = [step for made in finished for step in made.steps]
        assert set(handed_over) >= WAITING_FOR_BOTH
        assert len(handed_over) == len(set(handed_over))
        left = states(deps, incident_id)
        assert {left[step] for step in handed_over} == {StepState.QUEUED}


def test_two_steps_finishing_together_claim_what_needs_both_for_one_of_them(
    fake_deps: Deps,
) -> None:
    deps = fake_deps
    for attempt in range(10):
        incident_id = war_room_running_its_first_steps(deps, f"PCLAIM{attempt}")

        finished = finish_channel_and_jira_together(deps, incident_id, claiming=True)

        claimed = [step for made in finished if made.claimed for step in made.claimed.attempts]
        assert set(claimed) >= WAITING_FOR_BOTH
        assert len(claimed) == len(set(claimed))
        last = next(made for made in finished if set(made.steps) >= WAITING_FOR_BOTH)
        assert last.claimed is not None
        # The context the claimed steps start from holds both results they wait for.
        assert {"channel", "jira", "responders"} <= set(last.claimed.context.results)
        assert last.claimed.context.incident.jira_key == f"INC-{incident_id}"
        assert last.claimed.attempts == dict.fromkeys(last.steps, 1)
        left = states(deps, incident_id)
        assert {left[step] for step in claimed} == {StepState.RUNNING}


def test_steps_recorded_together_take_what_needs_them_all_with_their_own_end_times(
    fake_deps: Deps,
) -> None:
    deps = fake_deps
    incident_id = war_room_running_its_first_steps(deps, "PTOGETHER")
    made = outputs(incident_id)
    ended = {
        "channel": datetime(2026, 11, 22, 16, 0, 1, tzinfo=UTC),
        "jira": datetime(2026, 11, 22, 16, 0, 2, tzinfo=UTC),
    }
    finished = [Finished(step, made[step], ended[step]) for step in ("channel", "jira")]

    took = record_finished(deps, incident_id, finished, claim_next_for="worker")

    assert set(took.steps) >= WAITING_FOR_BOTH
    assert took.claimed is not None
    assert {"channel", "jira", "responders"} <= set(took.claimed.context.results)
    assert took.claimed.context.incident.slack_channel_id == f"C{incident_id}"
    assert took.claimed.context.incident.jira_key == f"INC-{incident_id}"
    left = states(deps, incident_id)
    assert {left[step] for step in took.steps} == {StepState.RUNNING}
    with transaction(deps.sessions) as session:
        rows = session.execute(
            select(StepResult.step, StepResult.finished_at).where(
                StepResult.incident_id == incident_id, StepResult.step.in_(ended)
            )
        )
        stored = {step: at.replace(tzinfo=UTC) for step, at in rows}
    assert stored == ended


def test_a_message_for_a_step_whose_inputs_do_not_exist_yet_claims_nothing_of_it(
    fake_deps: Deps,
) -> None:
    """A stray or replayed task message for the invitations, before the channel exists, must not
    run them without a channel: the step stays for the channel's completion to hand over."""
    deps = fake_deps
    incident_id = war_room_running_its_first_steps(deps, "PSTRAY")

    claimed = claim(deps, incident_id, ["invite", "topic", "pagerduty_note"], "stray")

    assert claimed is None
    assert "invite" not in states(deps, incident_id)
    made = outputs(incident_id)
    took = record_now(deps, incident_id, "channel", made["channel"], None)
    assert "invite" in took.steps  # handed over, once, when its inputs exist
