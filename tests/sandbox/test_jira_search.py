"""Contract: the real `jira.JIRA` client searches the emulated Cloud site by JQL, as on Cloud.

pycontribs' `search_issues` calls `search/jql` (token-paged) for a Cloud site; the offset-paged
`search` is gone from Cloud and answers 410.
"""

from __future__ import annotations

from typing import Any

import pytest
from jira import JIRA, JIRAError

from multivac.sandbox.seed import JIRA_PROJECT_KEY
from multivac.sandbox.server import RunningSandbox

LABELLED = f'project = {JIRA_PROJECT_KEY} AND labels = "pagerduty-Q1ABC"'


def open_incident(jira: JIRA, summary: str, labels: list[str]) -> str:
    fields = {
        "project": {"key": JIRA_PROJECT_KEY},
        "issuetype": {"name": "Incident"},
        "summary": summary,
        "labels": labels,
    }
    return str(jira.create_issue(fields=fields, prefetch=False).key)


def refusal(call: Any) -> tuple[int | None, list[str]]:
    with pytest.raises(JIRAError) as refused:
        call()
    body = refused.value.response.json()
    return refused.value.status_code, body["errorMessages"]


def test_a_label_search_finds_only_the_labelled_issue_through_search_jql(
    jira_client: JIRA, sandbox: RunningSandbox
) -> None:
    open_incident(jira_client, "Unrelated", ["multivac"])
    wanted = open_incident(jira_client, "Bank feeds delayed", ["multivac", "pagerduty-Q1ABC"])
    sandbox.sandbox.traffic.log.clear()

    found = jira_client.search_issues(LABELLED, maxResults=1, fields="summary,labels")

    assert [(i.key, i.fields.summary) for i in found] == [(wanted, "Bank feeds delayed")]
    assert "pagerduty-Q1ABC" in found[0].fields.labels
    operations = [e.operation for e in sandbox.sandbox.traffic.log.entries("jira")]
    assert operations == ["GET /field", "GET /search/jql"]


@pytest.mark.parametrize(
    "jql",
    [
        "labels = pagerduty-Q1ABC",
        "labels = 'pagerduty-Q1ABC'",
        'LABELS = "pagerduty-Q1ABC" and PROJECT = inc',
        f'project = "{JIRA_PROJECT_KEY}" AND labels = "pagerduty-Q1ABC" ORDER BY created DESC',
    ],
)
def test_label_clauses_take_quoted_or_bare_values_in_any_case(jira_client: JIRA, jql: str) -> None:
    wanted = open_incident(jira_client, "Bank feeds delayed", ["pagerduty-Q1ABC"])
    open_incident(jira_client, "Other", ["pagerduty-Q2XYZ"])
    assert [i.key for i in jira_client.search_issues(jql)] == [wanted]


def test_escaped_quotes_in_a_label_are_matched_exactly(jira_client: JIRA) -> None:
    wanted = open_incident(jira_client, "Odd label", ['say-"hi"'])
    open_incident(jira_client, "Plain", ["say-hi"])
    assert [i.key for i in jira_client.search_issues(r'labels = "say-\"hi\""')] == [wanted]


def test_order_by_created_puts_the_oldest_first_or_last(jira_client: JIRA) -> None:
    first = open_incident(jira_client, "First", ["pagerduty-Q1ABC"])
    second = open_incident(jira_client, "Second", ["pagerduty-Q1ABC"])
    ascending = jira_client.search_issues(f"{LABELLED} ORDER BY created ASC")
    descending = jira_client.search_issues(f"{LABELLED} ORDER BY created DESC")
    assert [i.key for i in ascending] == [first, second]
    assert [i.key for i in descending] == [second, first]


@pytest.mark.parametrize(
    ("jql", "wording"),
    [
        ("status = Open", "Unsupported field 'status'"),
        ("labels = a OR labels = b", "Expecting AND or ORDER BY but got 'OR'"),
        ("labels != a", "Unsupported operator '!='"),
        ("labels in (a, b)", "Unsupported operator 'in'"),
        ("labels = a ORDER BY priority", "Unsupported ORDER BY field 'priority'"),
        ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'."),
        ("", "Unbounded JQL queries are not allowed here"),
        ("ORDER BY created", "Unbounded JQL queries are not allowed here"),
    ],
)
def test_jql_beyond_the_supported_slice_is_a_400_in_jiras_shape(
    jira_client: JIRA, jql: str, wording: str
) -> None:
    status, messages = refusal(lambda: jira_client.search_issues(jql))
    assert status == 400
    assert len(messages) == 1 and wording in messages[0]


def test_pages_follow_next_page_token_until_is_last(jira_client: JIRA) -> None:
    keys = [open_incident(jira_client, f"Incident {n}", ["pagerduty-Q1ABC"]) for n in range(3)]
    page = jira_client.enhanced_search_issues(
        f"{LABELLED} ORDER BY key", maxResults=2, json_result=True
    )
    assert isinstance(page, dict)
    assert [i["key"] for i in page["issues"]] == keys[:2] and page["isLast"] is False
    last = jira_client.enhanced_search_issues(
        f"{LABELLED} ORDER BY key",
        nextPageToken=page["nextPageToken"],
        maxResults=2,
        json_result=True,
    )
    assert isinstance(last, dict)
    assert [i["key"] for i in last["issues"]] == keys[2:]
    assert last["isLast"] is True and "nextPageToken" not in last
    assert "total" not in last and "startAt" not in last
    everything = jira_client.search_issues(LABELLED, maxResults=0)  # the client pages itself
    assert [i.key for i in everything] == keys


def test_only_ids_come_back_unless_fields_are_asked_for(
    jira_client: JIRA, sandbox: RunningSandbox
) -> None:
    key = open_incident(jira_client, "Bank feeds delayed", ["pagerduty-Q1ABC"])
    url = f"{sandbox.jira_url}/rest/api/3/search/jql"
    bare = jira_client._session.get(url, params={"jql": LABELLED}).json()
    assert [(i["key"], i["fields"]) for i in bare["issues"]] == [(key, {})]
    posted = jira_client.search_issues(LABELLED, fields="summary", use_post=True)
    assert posted[0].raw["fields"] == {"summary": "Bank feeds delayed"}


def test_a_bad_page_token_is_a_400(jira_client: JIRA) -> None:
    status, messages = refusal(
        lambda: jira_client.enhanced_search_issues(LABELLED, nextPageToken="not-ours")
    )
    assert status == 400 and "token" in messages[0]


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("version", ["2", "3"])
def test_the_old_offset_search_is_gone_as_on_cloud(
    jira_client: JIRA, sandbox: RunningSandbox, method: str, version: str
) -> None:
    url = f"{sandbox.jira_url}/rest/api/{version}/search"
    status, messages = refusal(
        lambda: jira_client._session.request(
            method, url, params={"jql": LABELLED}, data='{"jql": "labels = x"}'
        )
    )
    assert status == 410
    assert "/rest/api/3/search/jql" in messages[0]
