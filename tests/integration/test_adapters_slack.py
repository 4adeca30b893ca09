"""The `Chat` port: one contract, kept by `FakeChat` and by `SlackChat` over HTTP to the sandbox.

The contract tests run twice (fake, sandbox) so the fake cannot drift from what Slack does; the
tests after them need the sandbox (rate limits, outages, call counts).
"""

from __future__ import annotations

import itertools
import socket
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from multivac.integrations.errors import (
    NameTaken,
    NotFound,
    RateLimited,
    Rejected,
    Transient,
    TriggerExpired,
)
from multivac.integrations.fakes import FakeChat
from multivac.integrations.ports import (
    Chat,
    ChatIdentity,
    ChatUser,
    MessageMetadata,
    RefusedInvite,
)
from multivac.integrations.slack import build_chat
from multivac.sandbox import credentials, seed
from multivac.sandbox.server import RunningSandbox
from multivac.settings import SlackSettings

SLACK_PEOPLE = [p for p in seed.PEOPLE if p.in_slack]
AROHA, TAMA, MERE = (
    seed.person_by_email(f"{handle}@{seed.DOMAIN}")
    for handle in ("aroha.ngata", "tama.walker", "mere.parata")
)
PLATFORM = seed.team_by_slug("platform")
LEAD = seed.person_by_email(PLATFORM.lead)
assert AROHA and TAMA and MERE and LEAD
_names = itertools.count(1)


@dataclass
class SlackWorld:
    chat: Chat
    new_trigger: Callable[[], str]  # a fresh trigger id, as a button click would give


def _fake_world() -> SlackWorld:
    fake = FakeChat(
        users=[ChatUser(p.slack_id, p.name, p.email, p.time_zone) for p in SLACK_PEOPLE],
        usergroups={PLATFORM.slack_usergroup_id: [LEAD.slack_id]},
        identity=ChatIdentity(seed.SLACK_BOT_USER_ID, seed.SLACK_TEAM_ID, seed.SLACK_BOT_ID),
    )
    triggers = (f"1.2.trigger{n}" for n in itertools.count())
    return SlackWorld(fake, lambda: next(triggers))


def settings_for(api_url: str, token: str = credentials.SLACK_BOT_TOKEN) -> SlackSettings:
    return SlackSettings(
        bot_token=token,
        signing_secret=credentials.SLACK_SIGNING_SECRET,
        api_url=api_url,
        timeout_seconds=5,
    )


def _sandbox_world(sandbox: RunningSandbox) -> SlackWorld:
    def new_trigger() -> str:
        with sandbox.sandbox.lock:
            return sandbox.sandbox.slack.issue_trigger(AROHA.slack_id).id

    return SlackWorld(build_chat(settings_for(sandbox.slack_api_url)), new_trigger)


@pytest.fixture(params=["fake", pytest.param("sandbox", marks=pytest.mark.integration)])
def world(request: pytest.FixtureRequest) -> SlackWorld:
    if request.param == "fake":
        return _fake_world()
    return _sandbox_world(request.getfixturevalue("sandbox"))


@pytest.fixture
def chat(world: SlackWorld) -> Chat:
    return world.chat


@pytest.fixture
def channel_id(chat: Chat) -> str:
    return chat.create_channel(name=f"inc-{next(_names)}-contract").id


def test_the_bot_knows_who_it_is(chat: Chat) -> None:
    me = chat.whoami()
    assert (me.user_id, me.team_id) == (seed.SLACK_BOT_USER_ID, seed.SLACK_TEAM_ID)


def test_a_new_channel_exists_and_its_name_is_then_taken(chat: Chat) -> None:
    created = chat.create_channel(name="inc-42-payments-down", private=True)
    assert chat.channel_info(channel_id=created.id).name == "inc-42-payments-down"
    with pytest.raises(NameTaken) as taken:
        chat.create_channel(name="inc-42-payments-down")
    assert taken.value.code == "name_taken"


def test_a_channel_is_found_by_name_even_when_archived(chat: Chat) -> None:
    created = chat.create_channel(name="inc-7-login")
    chat.archive(channel_id=created.id)
    found = chat.find_channel_by_name(name="inc-7-login")
    assert found is not None and (found.id, found.is_archived) == (created.id, True)
    assert chat.find_channel_by_name(name="inc-8-nothing") is None


@pytest.mark.parametrize("name", ["Incident 42", "x" * 81, "inc!42"])
def test_a_bad_channel_name_is_rejected_with_slacks_code(chat: Chat, name: str) -> None:
    with pytest.raises(Rejected) as rejected:
        chat.create_channel(name=name)
    assert rejected.value.code.startswith("invalid_name")
    assert rejected.value.message


def test_an_unknown_channel_is_not_found(chat: Chat) -> None:
    with pytest.raises(NotFound):
        chat.channel_info(channel_id="C0DOESNOTEXIST")


def test_invite_adds_people_reports_unknown_ids_and_can_run_twice(
    chat: Chat, channel_id: str
) -> None:
    invitees = [AROHA.slack_id, TAMA.slack_id, "U0NOBODY"]
    refused = chat.invite(channel_id=channel_id, user_ids=invitees)
    assert refused == (RefusedInvite("U0NOBODY", "user_not_found"),)
    assert {AROHA.slack_id, TAMA.slack_id} <= set(chat.channel_members(channel_id=channel_id))
    assert chat.invite(channel_id=channel_id, user_ids=[AROHA.slack_id, TAMA.slack_id]) == ()


def test_topic_and_purpose_are_set_and_overlong_text_is_rejected(
    chat: Chat, channel_id: str
) -> None:
    chat.set_topic(channel_id=channel_id, topic="P1 | INC-1")
    chat.set_purpose(channel_id=channel_id, purpose="Payments are failing")
    info = chat.channel_info(channel_id=channel_id)
    assert (info.topic, info.purpose) == ("P1 | INC-1", "Payments are failing")
    with pytest.raises(Rejected) as rejected:
        chat.set_topic(channel_id=channel_id, topic="x" * 251)
    assert rejected.value.code == "too_long"


def test_messages_are_posted_updated_reacted_to_and_pinned_idempotently(
    chat: Chat, channel_id: str
) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Summary*"}}]
    ts = chat.post_message(channel_id=channel_id, text="Summary", blocks=blocks)
    chat.update_message(channel_id=channel_id, ts=ts, text="Summary (updated)")
    for _ in range(2):
        chat.add_reaction(channel_id=channel_id, ts=ts, name="eyes")
        chat.pin(channel_id=channel_id, ts=ts)
    for _ in range(2):
        chat.remove_reaction(channel_id=channel_id, ts=ts, name="eyes")
    with pytest.raises(NotFound):
        chat.add_reaction(channel_id=channel_id, ts="1.000001", name="eyes")


def test_an_ephemeral_message_goes_to_a_member_only(chat: Chat, channel_id: str) -> None:
    chat.invite(channel_id=channel_id, user_ids=[AROHA.slack_id])
    chat.post_ephemeral(channel_id=channel_id, user_id=AROHA.slack_id, text="Only you")
    with pytest.raises(Rejected):
        chat.post_ephemeral(channel_id=channel_id, user_id=MERE.slack_id, text="Not you")


def test_a_bookmark_needs_a_web_link(chat: Chat, channel_id: str) -> None:
    chat.add_bookmark(channel_id=channel_id, title="Jira INC-1", link="https://jira.example/INC-1")
    with pytest.raises(Rejected) as rejected:
        chat.add_bookmark(channel_id=channel_id, title="Bad", link="ftp://example")
    assert rejected.value.code == "invalid_link"


def test_bookmarks_are_listed_in_the_order_they_were_added(chat: Chat, channel_id: str) -> None:
    chat.add_bookmark(channel_id=channel_id, title="Jira INC-1", link="https://jira.example/INC-1")
    chat.add_bookmark(channel_id=channel_id, title="PagerDuty", link="https://pd.example/Q1")
    listed = chat.bookmarks(channel_id=channel_id)
    assert [(b.title, b.link) for b in listed] == [
        ("Jira INC-1", "https://jira.example/INC-1"),
        ("PagerDuty", "https://pd.example/Q1"),
    ]
    assert len({b.id for b in listed}) == 2 and all(b.id for b in listed)
    with pytest.raises(NotFound):
        chat.bookmarks(channel_id="C0DOESNOTEXIST")


def _summary(incident: str) -> MessageMetadata:
    return MessageMetadata("multivac_incident_summary", {"incident": incident})


def test_a_message_posted_with_metadata_is_found_again(chat: Chat, channel_id: str) -> None:
    chat.post_message(channel_id=channel_id, text="Other", metadata=_summary("Q2XYZ"))
    summary = chat.post_message(channel_id=channel_id, text="Summary", metadata=_summary("Q1ABC"))
    chat.post_message(channel_id=channel_id, text="No metadata")

    def find(event_type: str, key: str, value: str) -> str | None:
        return chat.find_message(channel_id=channel_id, event_type=event_type, key=key, value=value)

    assert find("multivac_incident_summary", "incident", "Q1ABC") == summary
    assert find("multivac_incident_summary", "incident", "Q3NONE") is None
    assert find("multivac_status_update", "incident", "Q1ABC") is None
    assert find("multivac_incident_summary", "service", "Q1ABC") is None


def test_the_newest_of_two_matching_messages_is_found(chat: Chat, channel_id: str) -> None:
    chat.post_message(channel_id=channel_id, text="Summary", metadata=_summary("Q1ABC"))
    again = chat.post_message(channel_id=channel_id, text="Summary", metadata=_summary("Q1ABC"))
    found = chat.find_message(
        channel_id=channel_id, event_type="multivac_incident_summary", key="incident", value="Q1ABC"
    )
    assert found == again


def test_find_message_looks_only_at_the_newest_messages(chat: Chat, channel_id: str) -> None:
    summary = chat.post_message(channel_id=channel_id, text="Summary", metadata=_summary("Q1ABC"))
    chat.post_message(channel_id=channel_id, text="Later")
    args = {"event_type": "multivac_incident_summary", "key": "incident", "value": "Q1ABC"}
    assert chat.find_message(channel_id=channel_id, limit=1, **args) is None
    assert chat.find_message(channel_id=channel_id, limit=2, **args) == summary


def test_messages_are_found_in_an_archived_channel_but_not_an_unknown_one(
    chat: Chat, channel_id: str
) -> None:
    summary = chat.post_message(channel_id=channel_id, text="Summary", metadata=_summary("Q1ABC"))
    chat.archive(channel_id=channel_id)
    args = {"event_type": "multivac_incident_summary", "key": "incident", "value": "Q1ABC"}
    assert chat.find_message(channel_id=channel_id, **args) == summary
    with pytest.raises(NotFound):
        chat.find_message(channel_id="C0DOESNOTEXIST", **args)


def test_archive_and_unarchive_can_each_run_twice(chat: Chat, channel_id: str) -> None:
    chat.archive(channel_id=channel_id)
    chat.archive(channel_id=channel_id)
    assert chat.channel_info(channel_id=channel_id).is_archived
    with pytest.raises(Rejected) as rejected:
        chat.post_message(channel_id=channel_id, text="too late")
    assert rejected.value.code == "is_archived"
    chat.unarchive(channel_id=channel_id)
    chat.unarchive(channel_id=channel_id)
    assert not chat.channel_info(channel_id=channel_id).is_archived


def test_people_are_found_by_email_and_by_id(chat: Chat) -> None:
    assert chat.lookup_user_by_email(email=AROHA.email) == AROHA.slack_id
    assert chat.lookup_user_by_email(email="ravi.shah@contractors.example") is None
    user = chat.user_info(user_id=AROHA.slack_id)
    assert (user.name, user.email, user.tz) == (AROHA.name, AROHA.email, AROHA.time_zone)
    with pytest.raises(NotFound):
        chat.user_info(user_id="U0NOBODY")


def test_a_teams_user_group_lists_its_lead(chat: Chat) -> None:
    assert LEAD.slack_id in chat.usergroup_members(usergroup_id=PLATFORM.slack_usergroup_id)
    with pytest.raises(NotFound):
        chat.usergroup_members(usergroup_id="S0NOSUCHGROUP")


def test_a_modal_opens_once_per_trigger(world: SlackWorld) -> None:
    view = {"type": "modal", "title": {"type": "plain_text", "text": "Declare"}, "blocks": []}
    trigger = world.new_trigger()
    view_id = world.chat.open_view(trigger_id=trigger, view=view)
    world.chat.update_view(view_id=view_id, view=view)
    with pytest.raises(TriggerExpired) as used:
        world.chat.open_view(trigger_id=trigger, view=view)
    assert used.value.code == "exchanged_trigger_id"
    with pytest.raises(TriggerExpired):
        world.chat.open_view(trigger_id="expired.0.0", view=view)


# --- only against the sandbox -------------------------------------------------------------------


@pytest.fixture
def slack(sandbox: RunningSandbox) -> Chat:
    return build_chat(settings_for(sandbox.slack_api_url))


@pytest.mark.integration
def test_inviting_150_people_takes_two_calls(sandbox: RunningSandbox, slack: Chat) -> None:
    known = [p.slack_id for p in SLACK_PEOPLE]
    unknown = [f"U0GHOST{n:04d}" for n in range(150 - len(known))]
    half = len(known) // 2  # known people in both batches, so each call has someone to add
    everyone = known[:half] + unknown[: 100 - half] + known[half:] + unknown[100 - half :]
    channel = slack.create_channel(name="inc-150-all-hands")

    refused = slack.invite(channel_id=channel.id, user_ids=everyone)

    assert sandbox.sandbox.traffic.log.count("slack", "conversations.invite") == 2
    assert {r.user_id for r in refused} == set(unknown)
    assert set(known) <= set(slack.channel_members(channel_id=channel.id))


@pytest.mark.integration
def test_finding_a_message_is_one_history_call(sandbox: RunningSandbox, slack: Chat) -> None:
    channel = slack.create_channel(name="inc-find-once")
    summary = slack.post_message(channel_id=channel.id, text="Summary", metadata=_summary("Q1"))
    sandbox.sandbox.traffic.log.clear()
    found = slack.find_message(
        channel_id=channel.id, event_type="multivac_incident_summary", key="incident", value="Q1"
    )
    assert found == summary
    assert [e.operation for e in sandbox.sandbox.traffic.log.entries("slack")] == [
        "conversations.history"
    ]


@pytest.mark.integration
def test_a_rate_limit_surfaces_with_its_retry_after(slack: Chat) -> None:
    channel = slack.create_channel(name="inc-rate-limited")
    with pytest.raises(RateLimited) as limited:  # setTopic is Tier 2: 20 a minute
        for n in range(40):
            slack.set_topic(channel_id=channel.id, topic=f"update {n}")
    assert limited.value.retry_after >= 1
    assert limited.value.service == "slack"


@pytest.mark.integration
def test_an_outage_is_transient_and_then_passes(sandbox: RunningSandbox, slack: Chat) -> None:
    sandbox.sandbox.traffic.start_outage("slack", 30)
    with pytest.raises(Transient):
        slack.whoami()
    sandbox.sandbox.traffic.end_outage("slack")
    assert slack.whoami().user_id == seed.SLACK_BOT_USER_ID


@pytest.mark.integration
def test_an_unreachable_slack_is_transient() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(Transient):
        build_chat(settings_for(f"http://127.0.0.1:{port}/api/")).whoami()


@pytest.mark.integration
def test_a_wrong_token_is_rejected_in_plain_words(sandbox: RunningSandbox) -> None:
    with pytest.raises(Rejected) as rejected:
        build_chat(settings_for(sandbox.slack_api_url, token="xoxb-wrong")).whoami()
    assert rejected.value.code == "invalid_auth"
    assert "MULTIVAC_SLACK__BOT_TOKEN" in rejected.value.message
