"""The `Pager` port: one contract, kept by `FakePager` and by `PagerDutyPager` over HTTP.

The contract tests run twice (fake, sandbox); the tests after them need the sandbox.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from multivac.integrations.errors import NotFound, RateLimited, Rejected, Transient
from multivac.integrations.fakes import FakePager
from multivac.integrations.pagerduty import build_pager
from multivac.integrations.ports import OnCall, Pager, PagerPriority, PagerService, PagerUser
from multivac.sandbox import credentials, seed
from multivac.sandbox.pagerduty.api import RATE_LIMIT
from multivac.sandbox.server import RunningSandbox
from multivac.settings import PagerDutySettings

AT = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # the APAC block of the follow-the-sun day
PLATFORM = seed.team_by_slug("platform")
BANK_FEEDS = seed.SERVICES[0]
LEAD = seed.person_by_email(PLATFORM.lead)
ON_CALL = seed.person_by_email(seed.on_call(PLATFORM, AT))
MANAGER = seed.person_by_email(seed.INCIDENT_MANAGER)
assert LEAD and ON_CALL and MANAGER
_keys = itertools.count(1)


def _fake_pager() -> FakePager:
    def entry(person: seed.Person, level: int, schedule: str | None) -> OnCall:
        return OnCall(
            person.pagerduty_id,
            person.name,
            person.email,
            PLATFORM.escalation_policy_id,
            level,
            schedule,
            None,
            None,
        )

    return FakePager(
        users=[PagerUser(p.pagerduty_id, p.name, p.email) for p in seed.PEOPLE if p.in_pagerduty],
        services=[
            PagerService(s.pagerduty_id, s.name, seed.team_by_slug(s.team).escalation_policy_id)
            for s in seed.SERVICES
        ],
        priorities=[PagerPriority(seed.priority_id(name), name) for name, _ in seed.PRIORITIES],
        oncall_entries=[
            entry(ON_CALL, 1, "Platform Services follow-the-sun"),
            entry(LEAD, 2, None),
            entry(MANAGER, 3, None),
        ],
    )


def settings_for(api_url: str) -> PagerDutySettings:
    return PagerDutySettings(
        api_token=credentials.PAGERDUTY_API_TOKEN,
        from_email=credentials.PAGERDUTY_FROM_EMAIL,
        api_url=api_url,
        webhook_secrets=credentials.PAGERDUTY_WEBHOOK_SECRET,
        timeout_seconds=5,
    )


@pytest.fixture(params=["fake", pytest.param("sandbox", marks=pytest.mark.integration)])
def pager(request: pytest.FixtureRequest) -> Pager:
    if request.param == "fake":
        return _fake_pager()
    sandbox: RunningSandbox = request.getfixturevalue("sandbox")
    return build_pager(settings_for(sandbox.pagerduty_api_url))


def _page(pager: Pager, **overrides: str) -> str:
    details = {
        "title": "Bank feeds are delayed",
        "service_id": BANK_FEEDS.pagerduty_id,
        "urgency": "high",
        "details": "Imports are 2 h behind",
        "incident_key": f"k-{next(_keys)}",
    }
    return pager.create_incident(**{**details, **overrides}).id  # type: ignore[arg-type]


def test_the_accounts_services_and_priorities_are_listed(pager: Pager) -> None:
    services = {s.id: s for s in pager.services()}
    assert services[BANK_FEEDS.pagerduty_id].name == "Bank Feeds"
    team = seed.team_by_slug(BANK_FEEDS.team)
    assert services[BANK_FEEDS.pagerduty_id].escalation_policy_id == team.escalation_policy_id
    assert [p.name for p in pager.priorities()] == ["P1", "P2", "P3", "P4", "P5"]


def test_who_is_on_call_at_a_moment_with_their_emails(pager: Pager) -> None:
    oncalls = pager.oncalls(escalation_policy_ids=[PLATFORM.escalation_policy_id], at=AT)
    by_level = {o.escalation_level: o for o in oncalls}
    assert by_level[1].email == ON_CALL.email and by_level[1].schedule_name
    assert (by_level[2].user_id, by_level[2].email) == (LEAD.pagerduty_id, LEAD.email)
    assert {o.escalation_policy_id for o in oncalls} == {PLATFORM.escalation_policy_id}


def test_a_user_is_read_by_id_and_an_unknown_one_is_not_found(pager: Pager) -> None:
    assert pager.user(user_id=LEAD.pagerduty_id) == PagerUser(
        LEAD.pagerduty_id, LEAD.name, LEAD.email
    )
    with pytest.raises(NotFound):
        pager.user(user_id="PNOBODY")


def test_an_incident_created_is_read_back(pager: Pager) -> None:
    incident_id = _page(pager, priority="P2")
    incident = pager.get_incident(incident_id=incident_id)
    assert (incident.title, incident.urgency, incident.priority) == (
        "Bank feeds are delayed",
        "high",
        "P2",
    )
    assert (incident.service_id, incident.service_name) == (BANK_FEEDS.pagerduty_id, "Bank Feeds")
    assert incident.number >= 1 and incident.html_url and incident.created_at


def test_an_incident_can_be_assigned_when_created(pager: Pager) -> None:
    incident_id = _page(pager, assignee_id=LEAD.pagerduty_id)
    assert pager.get_incident(incident_id=incident_id).assignee_ids == (LEAD.pagerduty_id,)


def test_the_same_incident_key_twice_is_rejected(pager: Pager) -> None:
    _page(pager, incident_key="dedup-me")
    with pytest.raises(Rejected):
        _page(pager, incident_key="dedup-me")


def test_an_unknown_incident_is_not_found(pager: Pager) -> None:
    with pytest.raises(NotFound):
        pager.get_incident(incident_id="QNOSUCHINCIDENT")


def test_an_incident_is_noted_acknowledged_reprioritised_and_resolved(pager: Pager) -> None:
    incident_id = _page(pager)
    pager.add_note(incident_id=incident_id, content="War room: #inc-1-bank-feeds")
    pager.set_status(incident_id=incident_id, status="acknowledged")
    pager.set_priority(incident_id=incident_id, priority="P1")
    after = pager.get_incident(incident_id=incident_id)
    assert (after.status, after.priority) == ("acknowledged", "P1")
    pager.set_status(incident_id=incident_id, status="resolved")
    assert pager.get_incident(incident_id=incident_id).status == "resolved"


def test_an_unknown_priority_is_rejected(pager: Pager) -> None:
    incident_id = _page(pager)
    with pytest.raises(Rejected) as rejected:
        pager.set_priority(incident_id=incident_id, priority="P9")
    assert rejected.value.code == "unknown_priority"


def test_responders_are_requested(pager: Pager) -> None:
    incident_id = _page(pager)
    pager.add_responders(
        incident_id=incident_id,
        requester_id=MANAGER.pagerduty_id,
        user_ids=[LEAD.pagerduty_id],
        escalation_policy_ids=[PLATFORM.escalation_policy_id],
        message="Need platform help",
    )


# --- only against the sandbox -------------------------------------------------------------------


@pytest.fixture
def real_pager(sandbox: RunningSandbox) -> Pager:
    return build_pager(settings_for(sandbox.pagerduty_api_url))


@pytest.mark.integration
def test_an_outage_is_transient_and_then_passes(sandbox: RunningSandbox, real_pager: Pager) -> None:
    sandbox.sandbox.traffic.start_outage("pagerduty", 30)
    with pytest.raises(Transient):
        real_pager.get_incident(incident_id="Q123")
    sandbox.sandbox.traffic.end_outage("pagerduty")
    assert real_pager.user(user_id=LEAD.pagerduty_id).email == LEAD.email


@pytest.mark.integration
def test_a_spent_rate_budget_is_handed_back_with_retry_after(
    sandbox: RunningSandbox, real_pager: Pager
) -> None:
    traffic, key = sandbox.sandbox.traffic, ("api-key", credentials.PAGERDUTY_API_TOKEN)
    while traffic.retry_after("pagerduty", key, RATE_LIMIT) is None:  # others used the minute
        pass
    with pytest.raises(RateLimited) as limited:  # at once: pdpyras would retry 429 forever
        real_pager.user(user_id=LEAD.pagerduty_id)
    assert limited.value.retry_after >= 1


@pytest.mark.integration
def test_a_429_without_headers_waits_at_least_a_second(
    sandbox: RunningSandbox, real_pager: Pager
) -> None:
    sandbox.sandbox.traffic.configure("pagerduty", {"error_rate": 1.0, "error_status": 429})
    with pytest.raises(RateLimited) as limited:
        real_pager.services()
    assert limited.value.retry_after == 1.0
    assert sandbox.sandbox.traffic.log.count("pagerduty") == 1


@pytest.mark.integration
def test_writes_without_a_from_address_are_rejected_in_plain_words(
    sandbox: RunningSandbox,
) -> None:
    settings = settings_for(sandbox.pagerduty_api_url)
    pager = build_pager(settings.model_copy(update={"from_email": ""}))
    with pytest.raises(Rejected) as rejected:
        _page(pager)
    assert "From" in rejected.value.message
