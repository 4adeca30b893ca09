"""Contract: who may call the emulated Jira, users it knows, and how it fails (the real client)."""

from __future__ import annotations

import pytest
from jira import JIRA, JIRAError

from multivac.sandbox import credentials
from multivac.sandbox.seed import PEOPLE, Person
from multivac.sandbox.server import RunningSandbox

LEAD = next(p for p in PEOPLE if p.name == "Oliver Chen")
NOT_IN_JIRA = [p for p in PEOPLE if not p.in_jira]


def client(sandbox: RunningSandbox, token: str | None) -> JIRA:
    auth = (credentials.JIRA_EMAIL, token) if token is not None else None
    return JIRA(server=sandbox.jira_url, basic_auth=auth, max_retries=0)


def test_a_wrong_api_token_is_refused_from_the_first_call(sandbox: RunningSandbox) -> None:
    with pytest.raises(JIRAError) as refused:
        client(sandbox, "not-the-token")

    assert refused.value.status_code == 401
    assert refused.value.url.endswith("/rest/api/2/serverInfo")


def test_anonymous_callers_see_server_info_and_nothing_else(sandbox: RunningSandbox) -> None:
    anonymous = client(sandbox, None)  # JIRA() reads serverInfo, which Cloud serves anonymously

    with pytest.raises(JIRAError) as refused:
        anonymous.myself()

    assert anonymous.deploymentType == "Cloud"
    assert refused.value.status_code == 401


def test_users_are_found_by_email_or_name_prefix(jira_client: JIRA) -> None:
    by_email = jira_client.search_users(query=LEAD.email)
    by_prefix = jira_client.search_users(query="oli")

    assert [(u.accountId, u.displayName) for u in by_email] == [(LEAD.jira_account_id, LEAD.name)]
    assert {u.displayName for u in by_prefix} == {"Oliver Chen", "Olivia Davis"}
    assert jira_client.user(LEAD.jira_account_id).emailAddress == LEAD.email
    assert by_email[0].active is True


@pytest.mark.parametrize("person", NOT_IN_JIRA, ids=lambda p: p.name)
def test_people_without_a_jira_account_are_not_found(jira_client: JIRA, person: Person) -> None:
    assert jira_client.search_users(query=person.email) == []


def test_an_unknown_account_id_is_404(jira_client: JIRA) -> None:
    with pytest.raises(JIRAError) as missing:
        jira_client.user("5b10-nobody")

    assert missing.value.status_code == 404


def test_an_outage_answers_503_until_it_ends(jira_client: JIRA, sandbox: RunningSandbox) -> None:
    sandbox.sandbox.traffic.start_outage("jira", 60)

    with pytest.raises(JIRAError) as unavailable:
        jira_client.myself()
    sandbox.sandbox.traffic.end_outage("jira")

    assert unavailable.value.status_code == 503
    assert unavailable.value.text  # Jira's errorMessages, not an empty body
    assert jira_client.myself()["emailAddress"] == credentials.JIRA_EMAIL


def test_a_burst_beyond_the_per_user_budget_gets_429_until_the_window_passes(
    jira_client: JIRA, sandbox: RunningSandbox
) -> None:
    traffic = sandbox.sandbox.traffic
    with pytest.raises(JIRAError) as limited:
        for _ in range(1000):
            jira_client.myself()

    assert limited.value.status_code == 429
    assert 1 <= int(limited.value.response.headers["Retry-After"]) <= 60
    assert traffic.log.count("jira", "GET /myself") <= 301
    # The budget is per operation: other calls still go through.
    assert jira_client.project("INC").key == "INC"

    traffic.time_scale = 1e9  # a rate-limit minute now lasts well under a microsecond

    assert jira_client.myself()["emailAddress"] == credentials.JIRA_EMAIL
