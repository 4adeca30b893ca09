"""The sandbox page shows a person what Slack, PagerDuty and Jira now hold, readably and safely."""

from __future__ import annotations

import requests
from jira import JIRA
from slack_sdk import WebClient

from multivac.sandbox.page import mrkdwn_to_html
from multivac.sandbox.seed import PEOPLE
from multivac.sandbox.server import RunningSandbox


def test_the_page_shows_channels_topics_messages_and_buttons(
    sandbox: RunningSandbox, slack_client: WebClient
) -> None:
    channel = slack_client.conversations_create(name="inc-bank-feeds-delayed")["channel"]["id"]
    slack_client.conversations_setTopic(channel=channel, topic="SEV1 · Lead: Aroha")
    slack_client.chat_postMessage(
        channel=channel,
        text="Bank feeds delayed",
        blocks=[
            {"type": "section", "text": {"type": "mrkdwn", "text": "*Bank feeds delayed* for AU"}},
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Acknowledge"},
                        "action_id": "acknowledge",
                    },
                ],
            },
        ],
    )
    page = requests.get(f"{sandbox.url}/", timeout=5)
    assert page.status_code == 200
    assert "#inc-bank-feeds-delayed" in page.text
    assert "Topic: SEV1 · Lead: Aroha" in page.text
    assert "<b>Bank feeds delayed</b> for AU" in page.text
    assert '<span class="button">Acknowledge</span>' in page.text


def test_the_page_lists_jira_issues(sandbox: RunningSandbox, jira_client: JIRA) -> None:
    jira_client.create_issue(
        project={"key": "INC"}, summary="Payments failing", issuetype={"name": "Incident"}
    )
    page = requests.get(f"{sandbox.url}/", timeout=5).text
    assert "INC-1" in page
    assert "Payments failing" in page


def test_mrkdwn_is_rendered_without_letting_html_or_scripts_through() -> None:
    aroha = PEOPLE[0]
    html = str(
        mrkdwn_to_html(
            f"<!channel> <@{aroha.slack_id}> see <https://x.example/a|runbook> "
            "<javascript:alert(1)|click> <b>raw</b>",
            {aroha.slack_id: aroha.name},
        )
    )
    assert '<span class="mention">@channel</span>' in html
    assert f'<span class="mention">@{aroha.name}</span>' in html
    assert '<a href="https://x.example/a" target="_blank">runbook</a>' in html
    assert "javascript:" not in html
    assert "<b>" not in html  # Slack reads <b> as a control sequence, never as HTML
    assert "raw" in html
