"""The PagerDuty REST emulator answers the real pdpyras client as PagerDuty would."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from pdpyras import APISession, PDClientError, PDHTTPError

from multivac.sandbox import credentials, seed
from multivac.sandbox.server import RunningSandbox

BANK_FEEDS = seed.SERVICES[0]
PLATFORM = seed.team_by_slug("platform")
MONDAY = datetime(2026, 1, 5, tzinfo=UTC)  # ISO week 2


@pytest.fixture(autouse=True)
def _close_account(sandbox: RunningSandbox) -> Iterator[None]:
    yield
    sandbox.sandbox.pagerduty.close()


def _session(sandbox: RunningSandbox, default_from: str | None = None) -> APISession:
    session = APISession(credentials.PAGERDUTY_API_TOKEN, default_from=default_from)
    session.url = sandbox.pagerduty_api_url
    return session


def _page(session: APISession, title: str = "Bank feeds are delayed", **extra: Any) -> Any:
    incident = {
        "type": "incident",
        "title": title,
        "service": {"id": BANK_FEEDS.pagerduty_id, "type": "service_reference"},
        **extra,
    }
    return session.rpost("/incidents", json=incident)


def _email(user_id: str) -> str:
    return next(p.email for p in (*seed.PEOPLE, seed.MULTIVAC_BOT) if p.pagerduty_id == user_id)


def test_every_call_needs_the_api_key(sandbox: RunningSandbox) -> None:
    response = requests.get(
        f"{sandbox.pagerduty_api_url}/users",
        headers={"Authorization": "Token token=wrong"},
        timeout=5,
    )

    assert response.status_code == 401
    assert response.json()["error"]["message"] == "Unauthorized"


def test_writes_without_a_from_header_are_refused(sandbox: RunningSandbox) -> None:
    with pytest.raises(PDHTTPError) as refused:
        _page(_session(sandbox))

    assert refused.value.response.status_code == 400
    assert '"From" header' in refused.value.response.json()["error"]["message"]


def test_writes_from_someone_not_on_the_account_are_refused(sandbox: RunningSandbox) -> None:
    # Grace Liu is in Slack but has no PagerDuty user.
    with pytest.raises(PDHTTPError) as refused:
        _page(_session(sandbox, default_from="grace.liu@tuatara.example"))

    assert refused.value.response.status_code == 400


def test_an_incident_goes_from_triggered_to_resolved_with_a_note_and_priority(
    pagerduty_session: APISession,
) -> None:
    incident = _page(pagerduty_session, urgency="high", priority={"id": seed.priority_id("P2")})
    assert incident["status"] == "triggered"
    assert incident["incident_number"] == 1
    assert incident["priority"]["name"] == "P2"
    [assignment] = incident["assignments"]
    assert assignment["assignee"]["type"] == "user_reference"
    path = f"/incidents/{incident['id']}"

    acked = pagerduty_session.rput(
        path, json={"type": "incident_reference", "status": "acknowledged"}
    )
    pagerduty_session.rpost(f"{path}/notes", json={"content": "Rolled back the importer"})
    raised = pagerduty_session.rput(path, json={"type": "incident_reference", "priority": "P1"})
    resolved = pagerduty_session.rput(
        path, json={"type": "incident_reference", "status": "resolved"}
    )

    assert acked["acknowledgements"][0]["acknowledger"]["summary"] == "Multivac"
    assert raised["priority"]["name"] == "P1"
    assert resolved["status"] == "resolved"
    [note] = pagerduty_session.rget(f"{path}/notes")
    assert note["content"] == "Rolled back the importer"
    assert note["user"]["summary"] == "Multivac"
    assert pagerduty_session.rget("/incidents/1")["id"] == incident["id"]  # by number too
    assert [
        i["id"] for i in pagerduty_session.list_all("/incidents", params={"statuses": ["resolved"]})
    ] == [incident["id"]]


def test_a_new_incident_is_assigned_to_whoever_the_schedule_has_on_call(
    sandbox: RunningSandbox, pagerduty_session: APISession
) -> None:
    sandbox.sandbox.frozen_now = MONDAY.replace(hour=15)  # the Americas block

    incident = _page(pagerduty_session)

    team = seed.team_by_slug(BANK_FEEDS.team)
    [assignment] = incident["assignments"]
    assert _email(assignment["assignee"]["id"]) == seed.on_call(team, MONDAY.replace(hour=15))
    assert incident["escalation_policy"]["id"] == team.escalation_policy_id


def test_an_open_incident_key_cannot_be_used_twice_on_a_service(
    pagerduty_session: APISession,
) -> None:
    _page(pagerduty_session, incident_key="feeds-delay")

    with pytest.raises(PDHTTPError) as refused:
        _page(pagerduty_session, title="Again", incident_key="feeds-delay")

    assert refused.value.response.status_code == 400


def test_bulk_updates_are_limited_to_250_incidents(pagerduty_session: APISession) -> None:
    incidents = [
        {"id": f"Q{n}", "type": "incident_reference", "status": "resolved"} for n in range(251)
    ]

    response = pagerduty_session.put("/incidents", json={"incidents": incidents})

    assert response.status_code == 413


def test_bulk_update_acknowledges_several_incidents(pagerduty_session: APISession) -> None:
    first, second = _page(pagerduty_session, title="One"), _page(pagerduty_session, title="Two")
    refs = [
        {"id": i["id"], "type": "incident_reference", "status": "acknowledged"}
        for i in (first, second)
    ]

    updated = pagerduty_session.rput("/incidents", json=refs)

    assert [i["status"] for i in updated] == ["acknowledged", "acknowledged"]


def test_the_961st_call_in_a_minute_is_rate_limited(sandbox: RunningSandbox) -> None:
    # pdpyras retries 429 forever (sleeping 3, 6, 12... seconds), so plain requests are used to
    # see the 429 itself. The limit is per API key across all operations; a real minute (time
    # scale 1) is long enough that no call leaves the window during the test.
    headers = {"Authorization": f"Token token={credentials.PAGERDUTY_API_TOKEN}"}
    url = f"{sandbox.pagerduty_api_url}/priorities"

    def call(_: int) -> requests.Response:
        return requests.get(url, headers=headers, timeout=5)

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = [r.status_code for r in pool.map(call, range(960))]
    limited = call(961)

    assert set(statuses) == {200}
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.json() == {"error": {"message": "Rate Limit Exceeded", "code": 2020}}


def test_injected_server_errors_reach_the_client(
    sandbox: RunningSandbox, pagerduty_session: APISession
) -> None:
    sandbox.sandbox.traffic.configure("pagerduty", {"error_rate": 1.0, "error_status": 503})

    response = pagerduty_session.get("/users")

    assert response.status_code == 503
    assert "error" in response.json()


def test_oncalls_name_each_level_with_emails_and_follow_the_clock(
    sandbox: RunningSandbox, pagerduty_session: APISession
) -> None:
    params = {"include": ["users"], "escalation_policy_ids": [PLATFORM.escalation_policy_id]}
    sandbox.sandbox.frozen_now = MONDAY.replace(hour=8)  # Europe's block
    emea = pagerduty_session.rget("/oncalls", params=params)
    sandbox.sandbox.frozen_now = MONDAY.replace(hour=2)  # Asia-Pacific's block
    apac = pagerduty_session.rget("/oncalls", params=params)

    by_level = {o["escalation_level"]: o for o in emea}
    assert by_level[1]["user"]["email"] == seed.on_call(PLATFORM, MONDAY.replace(hour=8))
    assert by_level[1]["start"] == "2026-01-05T05:00:00Z"
    assert by_level[1]["end"] == "2026-01-05T13:00:00Z"
    assert by_level[2]["user"]["email"] == PLATFORM.lead
    assert by_level[3]["user"]["email"] == seed.INCIDENT_MANAGER
    assert {o["escalation_policy"]["id"] for o in emea} == {PLATFORM.escalation_policy_id}
    [night] = [o for o in apac if o["escalation_level"] == 1]
    assert night["user"]["email"] == seed.on_call(PLATFORM, MONDAY.replace(hour=2))
    assert night["user"]["email"] != by_level[1]["user"]["email"]
    # The block began on Sunday 21:00, but the weekly rotation turned at midnight.
    assert (night["start"], night["end"]) == ("2026-01-05T00:00:00Z", "2026-01-05T05:00:00Z")


def test_earliest_keeps_one_entry_per_policy_level_and_user(pagerduty_session: APISession) -> None:
    params = {
        "escalation_policy_ids": [PLATFORM.escalation_policy_id],
        "since": "2026-01-05T06:00:00Z",
        "until": "2026-01-06T06:00:00Z",
    }

    every = pagerduty_session.rget("/oncalls", params=params)
    earliest = pagerduty_session.rget("/oncalls", params={**params, "earliest": True})

    level_one = [o["user"]["id"] for o in every if o["escalation_level"] == 1]
    assert len(level_one) == 4  # Europe, Americas, Asia-Pacific, Europe again
    assert [o["user"]["id"] for o in earliest if o["escalation_level"] == 1] == list(
        dict.fromkeys(level_one)
    )
    assert "email" not in every[0]["user"]  # references unless include[]=users


def test_directory_lists_are_paginated_like_pagerduty(pagerduty_session: APISession) -> None:
    page = pagerduty_session.get("/users", params={"limit": 5, "offset": 5, "total": "true"}).json()

    assert (page["limit"], page["offset"], page["more"]) == (5, 5, True)
    assert page["total"] == len(pagerduty_session.list_all("/users"))
    assert pagerduty_session.find("users", seed.MULTIVAC_EMAIL, attribute="email") is not None
    priorities = pagerduty_session.rget("/priorities")
    assert [p["name"] for p in priorities] == [name for name, _ in seed.PRIORITIES]


def test_escalation_policies_have_schedule_then_lead_then_incident_manager(
    pagerduty_session: APISession,
) -> None:
    bank_feeds = seed.team_by_slug("bank-feeds")

    policy = pagerduty_session.rget(f"/escalation_policies/{bank_feeds.escalation_policy_id}")

    targets = [[t["id"] for t in rule["targets"]] for rule in policy["escalation_rules"]]
    lead, contractor = (seed.person_by_email(e) for e in (bank_feeds.lead, *bank_feeds.secondary))
    manager = seed.person_by_email(seed.INCIDENT_MANAGER)
    assert lead and contractor and manager
    assert targets == [
        [bank_feeds.schedule_id],
        [lead.pagerduty_id, contractor.pagerduty_id],
        [manager.pagerduty_id],
    ]


def test_a_webhook_secret_is_shown_only_when_the_subscription_is_created(
    pagerduty_session: APISession,
) -> None:
    created = pagerduty_session.rpost(
        "/webhook_subscriptions",
        json={
            "type": "webhook_subscription",
            "delivery_method": {"type": "http_delivery_method", "url": "http://127.0.0.1:9/hook"},
            "filter": {"type": "account_reference"},
            "events": ["incident.triggered"],
        },
    )

    fetched = pagerduty_session.rget(f"/webhook_subscriptions/{created['id']}")
    assert created["delivery_method"]["secret"]
    assert fetched["delivery_method"]["secret"] is None
    pagerduty_session.rdelete(f"/webhook_subscriptions/{created['id']}")
    with pytest.raises(PDClientError):
        pagerduty_session.rget(f"/webhook_subscriptions/{created['id']}")
