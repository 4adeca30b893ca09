"""Untrusted PagerDuty text becomes safe Slack text, valid channel names and a readable topic."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from multivac.incidents.rules import war_room_channel_name
from multivac.incidents.text import escape_mrkdwn, escaped_within, truncate
from multivac.incidents.war_room import messages
from multivac.settings import IncidentSettings

RULES = IncidentSettings()
WHEN = datetime(2026, 11, 22, 3, 4, tzinfo=UTC)


def name(title: str, attempt: int = 1) -> str:
    return war_room_channel_name(
        RULES,
        triggered_at=WHEN,
        number=1234,
        title=title,
        service="Bank Feeds",
        severity="SEV1",
        attempt=attempt,
    )


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        (
            "Bank feeds delayed for AU customers",
            "inc-20261122-1234-bank-feeds-delayed-for-au-customers",
        ),
        ("🔥🔥🔥", "inc-20261122-1234"),
        ("Ünïcödé — Zürich façade", "inc-20261122-1234-unicode-zurich-facade"),
        ("<!channel> DB DOWN!!!", "inc-20261122-1234-channel-db-down"),
    ],
)
def test_channel_names_follow_slacks_rules(title: str, expected: str) -> None:
    assert name(title) == expected


def test_a_long_title_is_cut_to_80_characters_without_a_trailing_hyphen() -> None:
    long_name = name("word " * 60)
    assert len(long_name) <= 80
    assert re.fullmatch(r"[a-z0-9_-]+", long_name)
    assert not long_name.endswith("-")
    assert name("word " * 60, attempt=3).endswith("-3")
    assert len(name("word " * 60, attempt=3)) <= 80


def test_an_unknown_template_field_is_refused_at_start_up() -> None:
    with pytest.raises(ValueError, match="unknown field 'team'"):
        IncidentSettings(channel_name_template="inc-{team}")


def test_mrkdwn_control_characters_are_escaped() -> None:
    assert escape_mrkdwn("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"


def test_escaping_never_splits_an_entity_or_exceeds_the_limit() -> None:
    text = "<" * 100
    escaped = escaped_within(text, 150)
    assert len(escaped) <= 150
    assert re.fullmatch(r"(&lt;)*…?", escaped)
    assert truncate("abcdef", 4) == "abc…"


def test_the_topic_reads_like_the_brief_and_fits_in_250_characters() -> None:
    topic = messages.topic(
        severity="SEV1",
        lead_name="Aroha Ngata",
        jira_key="INC-88",
        jira_url="https://x.atlassian.net/browse/INC-88",
        pagerduty_number=1234,
    )
    jira = "INC-88 https://x.atlassian.net/browse/INC-88"
    assert topic == f"SEV1 · Lead: @Aroha Ngata · Jira: {jira} · PD #1234"
    pending = messages.topic(
        severity="SEV2", lead_name=None, jira_key=None, jira_url=None, pagerduty_number=7
    )
    assert pending == "SEV2 · Lead: unassigned · Jira: pending · PD #7"
    huge = messages.topic(
        severity="SEV1", lead_name="x" * 400, jira_key=None, jira_url=None, pagerduty_number=1
    )
    assert len(huge) == 250


def summary(**changes: object) -> messages.Summary:
    base = dict(
        incident_id=9,
        severity="SEV1",
        title="db down",
        service="Payments",
        status="triggered",
        urgency="high",
        pagerduty_number=12,
        pagerduty_url="https://acme.pagerduty.com/incidents/P1",
        lead_slack_id="U1",
        lead_name="Aroha",
        responder_ids=["U1", "U2"],
        unmapped=[],
        jira_key="INC-3",
        jira_url="https://acme.atlassian.net/browse/INC-3",
    )
    base.update(changes)
    return messages.Summary(**base)  # type: ignore[arg-type]


def test_the_summary_names_the_lead_the_responders_and_offers_the_three_buttons() -> None:
    blocks = messages.summary_blocks(summary())
    rendered = str(blocks)
    assert "*Lead:* <@U1>" in rendered
    assert "*Responders:* <@U2>" in rendered
    assert "<https://acme.atlassian.net/browse/INC-3|INC-3>" in rendered
    actions = next(b for b in blocks if b["type"] == "actions")["elements"]
    assert [(a["action_id"], a["value"]) for a in actions] == [
        ("incident.acknowledge", "9"),
        ("incident.resolve", "9"),
        ("incident.severity", "9"),
    ]


def test_a_hostile_url_is_not_made_a_link() -> None:
    rendered = str(messages.summary_blocks(summary(pagerduty_url="javascript:alert(1)|x>")))
    assert "javascript:" not in rendered
    assert "PagerDuty #12" in rendered


def test_people_without_slack_are_listed_escaped() -> None:
    unmapped = [messages.Unmapped("<!here> Ravi", "ravi@x.example")]
    rendered = str(messages.summary_blocks(summary(unmapped=unmapped)))
    assert "&lt;!here&gt; Ravi (ravi@x.example)" in rendered
    assert "<!here>" not in rendered


def test_a_failure_notice_says_what_could_not_be_done_in_plain_words() -> None:
    text = messages.failure_text("jira", "project <INC> does not exist")
    assert text.startswith(":warning: Multivac could not open the Jira issue: project &lt;INC&gt;")
