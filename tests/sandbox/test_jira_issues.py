"""Contract: the real `jira.JIRA` client creates and works incident issues on the emulated site."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jira import JIRA, JIRAError
from jira.resources import Issue

from multivac.sandbox.seed import JIRA_PROJECT_KEY, MULTIVAC_EMAIL, PEOPLE, PRIORITIES
from multivac.sandbox.server import RunningSandbox

LEAD = next(p for p in PEOPLE if p.name == "Oliver Chen")
RESPONDER = next(p for p in PEOPLE if p.name == "Aroha Ngata")
SLACK_ONLY = next(p for p in PEOPLE if p.name == "Grace Liu")


def incident_fields(**overrides: Any) -> dict[str, Any]:
    return {
        "project": {"key": JIRA_PROJECT_KEY},
        "issuetype": {"name": "Incident"},
        "summary": "Bank feeds delayed for ANZ customers",
        **overrides,
    }


def open_incident(jira: JIRA, **overrides: Any) -> Issue:
    return jira.create_issue(fields=incident_fields(**overrides))


def jira_issues(sandbox: RunningSandbox) -> list[dict[str, Any]]:
    issues: list[dict[str, Any]] = sandbox.sandbox.jira.snapshot()["issues"]
    return issues


def test_the_client_finds_a_cloud_site_and_knows_who_it_is(jira_client: JIRA) -> None:
    assert jira_client.deploymentType == "Cloud"
    assert jira_client.server_info()["versionNumbers"][0] >= 1000
    assert jira_client.myself()["emailAddress"] == MULTIVAC_EMAIL
    project = jira_client.project(JIRA_PROJECT_KEY)
    assert project.name == "Incidents"
    assert {t.name for t in project.issueTypes} >= {"Incident", "Task"}
    assert [p.name for p in jira_client.priorities()] == [name for _, name in PRIORITIES]


def test_an_incident_is_created_assigned_to_the_lead_in_one_call(
    jira_client: JIRA, sandbox: RunningSandbox
) -> None:
    issue = open_incident(
        jira_client,
        assignee={"accountId": LEAD.jira_account_id},
        priority={"name": "Highest"},
        description="PagerDuty incident Q1ABC: https://tuatara.pagerduty.com/incidents/Q1ABC",
        labels=["multivac", "bank-feeds"],
    )
    second = open_incident(jira_client, summary="Payments gateway timeouts")

    assert (issue.key, second.key) == ("INC-1", "INC-2")
    assert issue.fields.assignee.accountId == LEAD.jira_account_id
    assert issue.fields.reporter.emailAddress == MULTIVAC_EMAIL
    assert issue.fields.priority.name == "Highest"
    assert issue.fields.status.name == "Open"
    assert issue.fields.status.statusCategory.key == "new"
    assert issue.fields.labels == ["multivac", "bank-feeds"]
    assert second.fields.assignee is None
    assert second.fields.priority.name == "Medium"
    first = jira_issues(sandbox)[0]
    assert first["assignee"]["email"] == LEAD.email
    assert first["description"].startswith("PagerDuty incident Q1ABC")
    # Dict project and issue type: one POST and the prefetch GET each, no lookups.
    assert sandbox.sandbox.traffic.log.count("jira", "GET /project/{projectIdOrKey}") == 0


@pytest.mark.parametrize(
    ("overrides", "field", "wording"),
    [
        ({"summary": None}, "summary", "summary"),
        ({"summary": "   "}, "summary", "summary"),
        ({"project": {"key": "NOPE"}}, "project", "project"),
        ({"issuetype": {"name": "Epic"}}, "issuetype", "issue type"),
        ({"assignee": {"accountId": "5b10-nobody"}}, "assignee", "5b10-nobody"),
        ({"priority": {"name": "Urgent"}}, "priority", "Urgent"),
        ({"labels": ["two words"]}, "labels", "spaces"),
        ({"customfield_10099": "x"}, "customfield_10099", "cannot be set"),
    ],
)
def test_an_invalid_issue_is_refused_field_by_field_and_not_created(
    jira_client: JIRA,
    sandbox: RunningSandbox,
    overrides: dict[str, Any],
    field: str,
    wording: str,
) -> None:
    fields = {k: v for k, v in incident_fields(**overrides).items() if v is not None}

    with pytest.raises(JIRAError) as refused:
        jira_client.create_issue(fields=fields)

    assert refused.value.status_code == 400
    body = refused.value.response.json()
    assert body["errorMessages"] == []
    assert wording in body["errors"][field]
    assert jira_issues(sandbox) == []


def test_a_missing_issue_is_404_in_jiras_words(jira_client: JIRA) -> None:
    with pytest.raises(JIRAError) as missing:
        jira_client.issue("INC-404")

    assert missing.value.status_code == 404
    assert "Issue does not exist" in missing.value.text


def test_an_issue_can_be_reprioritised_and_relabelled(jira_client: JIRA) -> None:
    issue = open_incident(jira_client, labels=["multivac"])

    issue.update(fields={"priority": {"name": "High"}, "summary": "Bank feeds down"})
    issue.update(update={"labels": [{"add": "p2"}, {"remove": "multivac"}]})

    fresh = jira_client.issue(issue.key)
    assert fresh.fields.priority.name == "High"
    assert fresh.fields.summary == "Bank feeds down"
    assert fresh.fields.labels == ["p2"]


def test_assign_issue_by_email_searches_users_then_puts_the_account_id(
    jira_client: JIRA, sandbox: RunningSandbox
) -> None:
    issue = open_incident(jira_client)

    jira_client.assign_issue(issue.key, RESPONDER.email)

    assert jira_client.issue(issue.key).fields.assignee.accountId == RESPONDER.jira_account_id
    put = [e for e in sandbox.sandbox.traffic.log.entries("jira") if e.method == "PUT"]
    assert [(e.path, e.status) for e in put] == [
        (f"/jira/rest/api/latest/issue/{issue.key}/assignee", 204)
    ]


def test_someone_without_a_jira_account_cannot_be_assigned(jira_client: JIRA) -> None:
    issue = open_incident(jira_client, assignee={"accountId": LEAD.jira_account_id})

    with pytest.raises(JIRAError, match="No matching user"):
        jira_client.assign_issue(issue.key, SLACK_ONLY.email)

    assert jira_client.issue(issue.key).fields.assignee.accountId == LEAD.jira_account_id


def test_assigning_an_unknown_account_id_is_400_and_null_unassigns(jira_client: JIRA) -> None:
    issue = open_incident(jira_client, assignee={"accountId": LEAD.jira_account_id})
    url = jira_client._get_url(f"issue/{issue.key}/assignee")

    with pytest.raises(JIRAError) as refused:
        jira_client._session.put(url, json={"accountId": "5b10-nobody"})
    jira_client._session.put(url, json={"accountId": None})

    assert refused.value.status_code == 400
    assert jira_client.issue(issue.key).fields.assignee is None


def test_comments_are_added_as_multivac_and_listed(
    jira_client: JIRA, sandbox: RunningSandbox
) -> None:
    issue = open_incident(jira_client)

    added = jira_client.add_comment(issue.key, "Status update: mitigation deployed")
    jira_client.add_comment(issue, "Customers notified")

    assert added.author.emailAddress == MULTIVAC_EMAIL
    assert [c.body for c in jira_client.comments(issue.key)] == [
        "Status update: mitigation deployed",
        "Customers notified",
    ]
    assert jira_client.comment(issue.key, added.id).body == added.body
    assert jira_issues(sandbox)[0]["comments"][1]["author"]["email"] == MULTIVAC_EMAIL
    with pytest.raises(JIRAError) as empty:
        jira_client.add_comment(issue.key, "")
    assert empty.value.status_code == 400


def test_an_incident_is_resolved_and_reopened_through_the_workflow(
    jira_client: JIRA, sandbox: RunningSandbox
) -> None:
    issue = open_incident(jira_client)
    from_open = {t["name"]: t["id"] for t in jira_client.transitions(issue)}
    assert set(from_open) == {"Start progress", "Done"}

    jira_client.transition_issue(issue.key, from_open["Done"], comment="Resolved in Slack")

    done = jira_client.issue(issue.key)
    assert done.fields.status.name == "Done"
    assert done.fields.status.statusCategory.key == "done"
    assert done.fields.resolution.name == "Done"
    assert [t["name"] for t in jira_client.transitions(issue)] == ["Reopen"]
    assert [c.body for c in jira_client.comments(issue.key)] == ["Resolved in Slack"]
    with pytest.raises(JIRAError) as invalid:
        jira_client.transition_issue(issue.key, from_open["Done"])
    assert invalid.value.status_code == 400

    jira_client.transition_issue(issue.key, "Reopen")

    reopened = jira_client.issue(issue.key)
    assert (reopened.fields.status.name, reopened.fields.resolution) == ("Open", None)
    history = jira_issues(sandbox)[0]["transitions"]
    assert [(h["from"], h["to"]) for h in history] == [("Open", "Done"), ("Done", "Open")]
    assert json.loads(json.dumps(sandbox.sandbox.jira.snapshot()))["issues"][0]["key"] == "INC-1"


def test_a_transition_may_set_the_resolution_by_name(jira_client: JIRA) -> None:
    issue = open_incident(jira_client)

    jira_client.transition_issue(issue.key, "31", fields={"resolution": {"name": "Won't Do"}})

    assert jira_client.issue(issue.key).fields.resolution.name == "Won't Do"


def test_the_slack_channel_is_linked_once_however_often_it_is_linked(
    jira_client: JIRA, sandbox: RunningSandbox
) -> None:
    issue = open_incident(jira_client)
    channel = {"url": "https://tuatara.slack.com/archives/C0INC1", "title": "#inc-1-bank-feeds"}

    simple = jira_client.add_simple_link(issue.key, channel)
    jira_client.add_remote_link(issue.key, channel, globalId="slack:C0INC1")
    again = jira_client.add_remote_link(
        issue.key, {**channel, "title": "#inc-1-bank-feeds-down"}, globalId="slack:C0INC1"
    )

    links = jira_client.remote_links(issue.key)
    assert [link.object.title for link in links] == ["#inc-1-bank-feeds", "#inc-1-bank-feeds-down"]
    assert jira_client.remote_link(issue.key, simple.id).object.url == channel["url"]
    posts = [e.status for e in sandbox.sandbox.traffic.log.entries("jira") if e.method == "POST"]
    assert posts[-3:] == [201, 201, 200]
    assert again.id == links[1].id
