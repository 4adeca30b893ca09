"""The `Tracker` port: one contract, kept by `FakeTracker` and by `JiraTracker` over HTTP.

The contract tests run twice (fake, sandbox); the tests after them need the sandbox.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from multivac.integrations.errors import NotFound, RateLimited, Rejected, Transient
from multivac.integrations.fakes import FakeTracker
from multivac.integrations.jira import build_tracker
from multivac.integrations.ports import Tracker
from multivac.sandbox import credentials, seed
from multivac.sandbox.server import RunningSandbox
from multivac.settings import JiraSettings

PROJECT = seed.JIRA_PROJECT_KEY
LEAD = seed.person_by_email(seed.team_by_slug("payments").lead)
ENGINEER = seed.person_by_email(f"george.patel@{seed.DOMAIN}")
SLACK_ONLY = seed.person_by_email(f"grace.liu@{seed.DOMAIN}")
assert LEAD and ENGINEER and SLACK_ONLY


def _fake_tracker() -> FakeTracker:
    return FakeTracker(
        accounts={p.email: p.jira_account_id for p in seed.PEOPLE if p.in_jira},
        projects=[PROJECT],
        statuses=("Open", "In Progress", "Done"),
        priorities=[jira_name for _, jira_name in seed.PRIORITIES],
    )


def settings_for(url: str) -> JiraSettings:
    return JiraSettings(
        url=url,
        email=credentials.JIRA_EMAIL,
        api_token=credentials.JIRA_API_TOKEN,
        project=PROJECT,
        timeout_seconds=5,
    )


@dataclass
class JiraWorld:
    tracker: Tracker
    links: Callable[[str], list[tuple[str, str]]]  # an issue's remote links: (url, title)


def _sandbox_links(sandbox: RunningSandbox, key: str) -> list[tuple[str, str]]:
    with sandbox.sandbox.lock:
        issues = sandbox.sandbox.jira.snapshot()["issues"]
    issue = next(i for i in issues if i["key"] == key)
    return [(link["url"], link["title"]) for link in issue["remote_links"]]


@pytest.fixture(params=["fake", pytest.param("sandbox", marks=pytest.mark.integration)])
def world(request: pytest.FixtureRequest) -> JiraWorld:
    if request.param == "fake":
        fake = _fake_tracker()
        return JiraWorld(fake, lambda key: list(fake.issues[key].links))
    sandbox: RunningSandbox = request.getfixturevalue("sandbox")
    tracker = build_tracker(settings_for(sandbox.jira_url))
    return JiraWorld(tracker, lambda key: _sandbox_links(sandbox, key))


@pytest.fixture
def tracker(world: JiraWorld) -> Tracker:
    return world.tracker


def _open_issue(tracker: Tracker, **overrides: object) -> str:
    fields: dict[str, object] = {
        "project": PROJECT,
        "issue_type": "Incident",
        "summary": "Payments gateway errors",
        "description": "Card payments fail with 502",
        **overrides,
    }
    return tracker.create_issue(**fields).key  # type: ignore[arg-type]


def test_an_account_is_found_by_exact_email(tracker: Tracker) -> None:
    assert tracker.find_account_id(email=LEAD.email) == LEAD.jira_account_id
    assert tracker.find_account_id(email=LEAD.email.upper()) == LEAD.jira_account_id
    assert tracker.find_account_id(email=SLACK_ONLY.email) is None


def test_an_issue_is_created_already_assigned(tracker: Tracker) -> None:
    created = tracker.create_issue(
        project=PROJECT,
        issue_type="Incident",
        summary="Payments gateway errors",
        description="Card payments fail with 502",
        assignee_account_id=LEAD.jira_account_id,
        priority="Highest",
        labels=("multivac", "p1"),
    )
    assert created.key.startswith(f"{PROJECT}-") and created.url.endswith(f"/browse/{created.key}")
    issue = tracker.get_issue(key=created.key)
    assert (issue.summary, issue.assignee_account_id, issue.priority) == (
        "Payments gateway errors",
        LEAD.jira_account_id,
        "Highest",
    )
    assert issue.status and issue.url == created.url


def test_an_issue_in_an_unknown_project_is_rejected(tracker: Tracker) -> None:
    with pytest.raises(Rejected):
        _open_issue(tracker, project="NOPE")


def test_an_issue_is_found_again_by_its_label(tracker: Tracker) -> None:
    _open_issue(tracker, labels=("multivac", "pagerduty-Q2XYZ"))
    created = tracker.create_issue(
        project=PROJECT,
        issue_type="Incident",
        summary="Bank feeds delayed",
        description="PagerDuty incident Q1ABC",
        assignee_account_id=LEAD.jira_account_id,
        labels=("multivac", "pagerduty-Q1ABC"),
    )
    assert created.labels == ("multivac", "pagerduty-Q1ABC")

    found = tracker.find_issue_by_label(project=PROJECT, label="pagerduty-Q1ABC")

    assert found is not None
    assert (found.key, found.url, found.summary, found.assignee_account_id, found.labels) == (
        created.key,
        created.url,
        "Bank feeds delayed",
        LEAD.jira_account_id,
        ("multivac", "pagerduty-Q1ABC"),
    )
    assert found.status
    assert tracker.get_issue(key=created.key).labels == ("multivac", "pagerduty-Q1ABC")
    assert tracker.find_issue_by_label(project=PROJECT, label="pagerduty-Q3NONE") is None


def test_the_oldest_of_two_labelled_issues_is_found(tracker: Tracker) -> None:
    first = _open_issue(tracker, labels=("pagerduty-Q1ABC",))
    _open_issue(tracker, labels=("pagerduty-Q1ABC",))
    found = tracker.find_issue_by_label(project=PROJECT, label="pagerduty-Q1ABC")
    assert found is not None and found.key == first


def test_a_label_with_quotes_is_searched_for_exactly(tracker: Tracker) -> None:
    odd = 'pagerduty-"Q1"\\x'
    key = _open_issue(tracker, labels=(odd,))
    _open_issue(tracker, labels=("pagerduty-Q1",))
    found = tracker.find_issue_by_label(project=PROJECT, label=odd)
    assert found is not None and found.key == key


def test_labels_with_spaces_and_searches_of_unknown_projects_are_rejected(
    tracker: Tracker,
) -> None:
    with pytest.raises(Rejected):
        _open_issue(tracker, labels=("pagerduty Q1ABC",))
    with pytest.raises(Rejected) as rejected:
        tracker.find_issue_by_label(project="NOPE", label="pagerduty-Q1ABC")
    assert rejected.value.code == "400"


def test_an_issue_is_reassigned_by_account_id(tracker: Tracker) -> None:
    key = _open_issue(tracker, assignee_account_id=LEAD.jira_account_id)
    tracker.assign(key=key, account_id=ENGINEER.jira_account_id)
    assert tracker.get_issue(key=key).assignee_account_id == ENGINEER.jira_account_id


def test_comments_links_and_priority_are_added(tracker: Tracker) -> None:
    key = _open_issue(tracker)
    tracker.comment(key=key, body="War room: #inc-3-payments")
    tracker.add_link(key=key, url="https://tuatara.slack.com/archives/C1", title="Slack channel")
    tracker.set_priority(key=key, priority="High")
    assert tracker.get_issue(key=key).priority == "High"
    with pytest.raises(Rejected):
        tracker.set_priority(key=key, priority="Apocalyptic")


def test_a_link_added_twice_is_one_link(world: JiraWorld) -> None:
    key = _open_issue(world.tracker)
    world.tracker.add_link(key=key, url="https://tuatara.slack.com/archives/C1", title="Slack")
    world.tracker.add_link(key=key, url="https://tuatara.slack.com/archives/C1", title="#inc-1")
    assert world.links(key) == [("https://tuatara.slack.com/archives/C1", "#inc-1")]


def test_done_can_be_reached_twice_and_nowhere_is_rejected(tracker: Tracker) -> None:
    key = _open_issue(tracker)
    tracker.transition(key=key, to_status="Done", comment="Resolved in PagerDuty")
    assert tracker.get_issue(key=key).status == "Done"
    tracker.transition(key=key, to_status="done")
    with pytest.raises(Rejected) as rejected:
        tracker.transition(key=key, to_status="Nowhere")
    assert rejected.value.code == "no_transition"


def test_an_unknown_issue_is_not_found(tracker: Tracker) -> None:
    with pytest.raises(NotFound):
        tracker.get_issue(key=f"{PROJECT}-999999")
    with pytest.raises(NotFound):
        tracker.comment(key=f"{PROJECT}-999999", body="hello?")


# --- only against the sandbox -------------------------------------------------------------------


def _operations(sandbox: RunningSandbox) -> list[str]:
    return [entry.operation for entry in sandbox.sandbox.traffic.log.entries("jira")]


@pytest.mark.integration
def test_creating_an_assigned_issue_is_one_request(sandbox: RunningSandbox) -> None:
    tracker = build_tracker(settings_for(sandbox.jira_url))
    tracker.find_account_id(email=LEAD.email)  # connects: serverInfo
    sandbox.sandbox.traffic.log.clear()
    _open_issue(tracker, assignee_account_id=LEAD.jira_account_id, priority="High")
    assert _operations(sandbox) == ["POST /issue"]


@pytest.mark.integration
def test_finding_by_label_is_one_search_jql_call(sandbox: RunningSandbox) -> None:
    tracker = build_tracker(settings_for(sandbox.jira_url))
    key = _open_issue(tracker, labels=("pagerduty-Q1ABC",))
    tracker.find_issue_by_label(project=PROJECT, label="pagerduty-Q1ABC")  # reads `field` once
    sandbox.sandbox.traffic.log.clear()
    found = tracker.find_issue_by_label(project=PROJECT, label="pagerduty-Q1ABC")
    assert found is not None and found.key == key
    assert _operations(sandbox) == ["GET /search/jql"]


@pytest.mark.integration
def test_assigning_puts_the_account_id_without_a_user_search(sandbox: RunningSandbox) -> None:
    tracker = build_tracker(settings_for(sandbox.jira_url))
    key = _open_issue(tracker)
    sandbox.sandbox.traffic.log.clear()
    tracker.assign(key=key, account_id=LEAD.jira_account_id)
    assert [op.split(" ")[0] for op in _operations(sandbox)] == ["PUT"]
    assert "assignee" in _operations(sandbox)[0]


@pytest.mark.integration
def test_jira_down_at_start_fails_only_the_first_use(sandbox: RunningSandbox) -> None:
    sandbox.sandbox.traffic.start_outage("jira", 30)
    tracker = build_tracker(settings_for(sandbox.jira_url))  # does not touch Jira
    assert _operations(sandbox) == []
    with pytest.raises(Transient):
        tracker.find_account_id(email=LEAD.email)
    sandbox.sandbox.traffic.end_outage("jira")
    assert tracker.find_account_id(email=LEAD.email) == LEAD.jira_account_id


@pytest.mark.integration
def test_an_outage_after_start_is_transient(sandbox: RunningSandbox) -> None:
    tracker = build_tracker(settings_for(sandbox.jira_url))
    key = _open_issue(tracker)
    sandbox.sandbox.traffic.start_outage("jira", 30)
    with pytest.raises(Transient):
        tracker.comment(key=key, body="anyone there?")
    sandbox.sandbox.traffic.end_outage("jira")
    tracker.comment(key=key, body="back")


@pytest.mark.integration
def test_a_rate_limit_is_handed_back_not_slept_on(sandbox: RunningSandbox) -> None:
    tracker = build_tracker(settings_for(sandbox.jira_url))
    key = _open_issue(tracker)
    sandbox.sandbox.traffic.configure("jira", {"error_rate": 1.0, "error_status": 429})
    with pytest.raises(RateLimited) as limited:
        tracker.get_issue(key=key)
    assert limited.value.retry_after >= 1


@pytest.mark.integration
def test_an_unreachable_jira_is_transient_without_waiting() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    tracker = build_tracker(settings_for(f"http://127.0.0.1:{port}/jira"))
    with pytest.raises(Transient):
        tracker.get_issue(key=f"{PROJECT}-1")


@pytest.mark.integration
def test_wrong_credentials_are_rejected(sandbox: RunningSandbox) -> None:
    settings = settings_for(sandbox.jira_url).model_copy(update={"email": "nobody@example.com"})
    with pytest.raises(Rejected) as rejected:
        build_tracker(settings).get_issue(key=f"{PROJECT}-1")
    assert rejected.value.code == "401"
