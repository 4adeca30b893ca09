"""The war room's dependency graph: what can start when, and its critical path."""

from __future__ import annotations

from multivac.incidents.retrying import backoff_seconds
from multivac.incidents.war_room.flow import RUNNERS
from multivac.incidents.war_room.graph import STEPS, StepState, complete, critical_path, ready

D, R, F, P = StepState.DONE, StepState.RETRYING, StepState.FAILED, StepState.RUNNING
Q = StepState.QUEUED


def test_every_step_has_a_runner() -> None:
    assert set(RUNNERS) == set(STEPS)


def test_channel_people_and_jira_start_together() -> None:
    assert ready({}) == ["channel", "responders", "jira"]


def test_invites_wait_for_both_the_channel_and_the_responders() -> None:
    assert "invite" not in ready({"channel": D, "responders": P, "jira": P})
    assert "invite" in ready({"channel": D, "responders": D, "jira": P})


def test_jira_being_down_does_not_hold_up_the_topic_and_summary() -> None:
    states = {"channel": D, "responders": D, "jira": R}
    assert {"topic", "bookmarks", "summary"} <= set(ready(states))
    assert not complete(
        {**states, "topic": D, "bookmarks": D, "summary": D, "invite": D, "pagerduty_note": D}
    )


def test_a_required_step_that_is_only_retrying_still_blocks_its_dependents() -> None:
    assert "invite" not in ready({"channel": D, "responders": R, "jira": D})


def test_a_step_abandoned_for_good_settles_what_waits_for_it() -> None:
    states = {"channel": D, "jira": F, "responders": D}
    assert {"topic", "summary"} <= set(ready(states))


def test_the_flow_is_complete_when_nothing_can_run_any_more() -> None:
    states = {name: D for name in STEPS}
    assert complete(states)
    assert not complete({**states, "summary": P})
    assert not complete({**states, "summary": Q})


def test_a_queued_step_is_not_ready_again() -> None:
    assert ready({"channel": Q, "responders": P}) == ["jira"]


def test_the_critical_path_is_two_round_trips_with_warm_caches() -> None:
    cost, chain = critical_path()
    assert cost == 2
    assert chain[0] in ("channel", "responders", "jira")


def test_backoff_honours_retry_after_and_grows_otherwise() -> None:
    assert 5.0 <= backoff_seconds(0, 5.0, cap=600) <= 5.5
    assert backoff_seconds(3, 900.0, cap=600) == 600
    assert 4.0 <= backoff_seconds(3, None, cap=600) <= 8.0
    assert backoff_seconds(20, None, cap=600) <= 600
