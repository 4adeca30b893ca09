"""What the fakes add for domain tests: recorded calls, rehearsed failures, visible batches."""

from __future__ import annotations

import pytest

from multivac.integrations.errors import RateLimited, Transient
from multivac.integrations.fakes import FakeChat, FakeTracker
from multivac.integrations.ports import ChatUser


def test_a_rehearsed_failure_happens_once_then_the_call_works() -> None:
    tracker = FakeTracker(accounts={"lead@example.com": "5b10lead"})
    tracker.fail("find_account_id", Transient("jira", "down"))
    with pytest.raises(Transient):
        tracker.find_account_id(email="lead@example.com")
    assert tracker.find_account_id(email="lead@example.com") == "5b10lead"
    assert tracker.calls_to("find_account_id") == [{"email": "lead@example.com"}] * 2


def test_invites_go_in_batches_of_a_hundred() -> None:
    people = [ChatUser(f"U{n:04d}", f"Person {n}") for n in range(150)]
    chat = FakeChat(users=people)
    chat.fail("post_message", RateLimited("slack", 30))
    channel = chat.create_channel(name="inc-1-big")

    assert chat.invite(channel_id=channel.id, user_ids=[p.id for p in people]) == ()

    assert [len(batch) for batch in chat.invite_batches] == [100, 50]
    with pytest.raises(RateLimited):
        chat.post_message(channel_id=channel.id, text="hello")
