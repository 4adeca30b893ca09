"""Which PagerDuty changes are worth a sync task: the echo of Multivac's own note is not."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import event

from multivac.incidents import changes as kinds
from multivac.incidents.sync import worth_applying
from multivac.incidents.war_room.context import Deps
from multivac.integrations.fakes import FakePager
from multivac.integrations.ports import PagerUser

pytestmark = pytest.mark.integration

OURS = "PMULTIVAC"


@pytest.fixture
def deps(fake_deps: Deps) -> Deps:
    email = fake_deps.settings.pagerduty.from_email
    pager = FakePager(users=[PagerUser(id=OURS, name="Multivac", email=email)])
    return replace(fake_deps, pager=pager)


def test_the_echo_of_our_own_note_is_not_worth_a_task(deps: Deps) -> None:
    assert not worth_applying(deps, [kinds.NOTE], OURS)


def test_what_others_say_or_what_anyone_changes_is_worth_a_task(deps: Deps) -> None:
    assert worth_applying(deps, [kinds.NOTE], "PALICE")
    assert worth_applying(deps, [kinds.NOTE], None)  # automation
    assert worth_applying(deps, [kinds.ACKNOWLEDGED], OURS)  # the topic and summary still move
    assert worth_applying(deps, [kinds.NOTE, kinds.SEVERITY], OURS)
    assert not worth_applying(deps, [], "PALICE")


def test_who_we_are_in_pagerduty_is_remembered_by_the_process(deps: Deps) -> None:
    """Deciding costs no query once known: the decision is made in the task that takes the
    delivery in, at the moment the war room's last steps finish."""
    assert not worth_applying(deps, [kinds.NOTE], OURS)
    engine = deps.sessions.kw["bind"]
    statements: list[str] = []

    def spy(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:  # counts, changes nothing
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", spy)
    try:
        assert not worth_applying(deps, [kinds.NOTE], OURS)
    finally:
        event.remove(engine, "before_cursor_execute", spy)
    assert statements == []
    assert isinstance(deps.pager, FakePager)
    assert len(deps.pager.calls_to("find_user_by_email")) == 1
