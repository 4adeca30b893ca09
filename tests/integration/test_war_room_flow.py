"""The war-room flow's bookkeeping on SQLite and PostgreSQL: steps finishing at the same moment
still hand every step they unblock to exactly one worker, whether they queue those steps for any
worker or claim them for the worker that finished."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from multivac.incidents.war_room.context import Deps, StepOutput
from multivac.incidents.war_room.flow import Next, record_done, start, states
from multivac.incidents.war_room.graph import StepState
from multivac.incidents.war_room.threads import Threads
from multivac.integrations.fakes.chat import FakeChat
from multivac.integrations.fakes.pager import FakePager
from multivac.integrations.fakes.tracker import FakeTracker
from multivac.store.cache import Remembered
from multivac.store.database import transaction
from multivac.store.incidents import get_or_create_incident_for_pagerduty
from multivac.store.steps import claim_step
from tests.integration.concurrency import run_concurrently
from tests.support import sandbox_settings

pytestmark = pytest.mark.integration

Factory = sessionmaker[Session]
WAITING_FOR_BOTH = {"topic", "bookmarks", "summary"}  # need the channel, wait for Jira


def deps_for(sessions: Factory) -> Deps:
    # The steps' external calls are not made here: only the bookkeeping around them is.
    settings = sandbox_settings(None, str(sessions.kw["bind"].url))
    return Deps(
        FakeChat(), FakePager(), FakeTracker(), settings, sessions, Threads.start(), Remembered()
    )


def war_room_running_its_first_steps(deps: Deps, pagerduty_id: str) -> int:
    with transaction(deps.sessions) as session:
        incident, _ = get_or_create_incident_for_pagerduty(session, pagerduty_id, title="DB down")
        incident_id = incident.id
    assert start(deps, incident_id) == ["channel", "responders", "jira"]
    with transaction(deps.sessions) as session:
        for step in ("channel", "responders", "jira"):
            assert claim_step(session, incident_id, step, "worker") == 1
    record_done(deps, incident_id, "responders", StepOutput({"slack_ids": [], "unmapped": []}))
    return incident_id


OUTPUTS = {
    "channel": StepOutput({"id": "C1", "name": "inc-race"}),
    "jira": StepOutput({"key": "INC-1", "url": "https://jira/INC-1"}),
}


def test_two_steps_finishing_together_queue_what_needs_both_once(
    session_factory: Factory,
) -> None:
    deps = deps_for(session_factory)
    for attempt in range(10):  # the race is short: give it several chances to go wrong
        incident_id = war_room_running_its_first_steps(deps, f"PRACE{attempt}")

        def finish(index: int, incident_id: int = incident_id) -> Next:
            step = ("channel", "jira")[index]
            return record_done(deps, incident_id, step, OUTPUTS[step])

        handed_over = [step for made in run_concurrently(2, finish) for step in made.steps]

        assert set(handed_over) >= WAITING_FOR_BOTH
        assert len(handed_over) == len(set(handed_over))
        left = states(deps, incident_id)
        assert {left[step] for step in handed_over} == {StepState.QUEUED}


def test_two_steps_finishing_together_claim_what_needs_both_for_one_of_them(
    session_factory: Factory,
) -> None:
    deps = deps_for(session_factory)
    for attempt in range(10):
        incident_id = war_room_running_its_first_steps(deps, f"PCLAIM{attempt}")

        def finish(index: int, incident_id: int = incident_id) -> Next:
            step = ("channel", "jira")[index]
            return record_done(deps, incident_id, step, OUTPUTS[step], claim_next_for=step)

        made = run_concurrently(2, finish)

        claimed = [step for m in made if m.claimed for step in m.claimed.attempts]
        assert set(claimed) >= WAITING_FOR_BOTH
        assert len(claimed) == len(set(claimed))
        last = next(m for m in made if m.claimed and set(m.steps) >= WAITING_FOR_BOTH)
        assert last.claimed is not None
        # The context the claimed steps start from holds both results they wait for.
        assert {"channel", "jira", "responders"} <= set(last.claimed.context.results)
        assert last.claimed.attempts == dict.fromkeys(last.steps, 1)
        left = states(deps, incident_id)
        assert {left[step] for step in claimed} == {StepState.RUNNING}
