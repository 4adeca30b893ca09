"""The store keeps its promises on SQLite and PostgreSQL alike: each delivery, incident, step claim
and timeline entry exactly once, even when five workers race for it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import event, func, select, update
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session, sessionmaker

from multivac.store.database import transaction
from multivac.store.deliveries import (
    claim_delivery,
    fail_delivery,
    finish_delivery,
    get_delivery,
    record_delivery,
    unfinished_deliveries,
)
from multivac.store.incidents import (
    create_incident,
    get_or_create_incident_for_pagerduty,
    incident_by_channel,
    lock_incident,
    open_incidents,
    update_incident,
)
from multivac.store.models import (
    Delivery,
    DeliverySource,
    DeliveryStatus,
    Incident,
    IncidentSource,
    IncidentStatus,
    StepResult,
    StepStatus,
    utcnow,
)
from multivac.store.responders import Person, add_responders, responders
from multivac.store.steps import (
    claim_step,
    complete_steps,
    fail_step,
    queue_steps,
    step_result,
)
from multivac.store.timeline import add_timeline, timeline
from tests.integration.concurrency import run_concurrently

pytestmark = pytest.mark.integration

Factory = sessionmaker[Session]
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def record(session: Session, dedup_key: str, event_id: str | None, **extra: Any) -> Delivery | None:
    fields: dict[str, Any] = {
        "source": DeliverySource.PAGERDUTY,
        "event_type": "incident.triggered",
        "resource_id": "PINC1",
        "occurred_at": T0,
        "payload": {"event": {"id": event_id, "data": {"title": "DB down"}}},
        **extra,
    }
    return record_delivery(session, dedup_key=dedup_key, event_id=event_id, **fields)


def count(factory: Factory, model: type[Any]) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def new_incident(factory: Factory, pagerduty_id: str = "PINC1") -> int:
    with transaction(factory) as session:
        incident, _ = get_or_create_incident_for_pagerduty(session, pagerduty_id, title="DB down")
        return incident.id


# Deliveries


def test_a_redelivered_webhook_is_recorded_once(session_factory: Factory) -> None:
    with transaction(session_factory) as session:
        first = record(session, "webhook-1", "event-1")
        again = record(session, "webhook-1", "event-1")
        assert first is not None
        assert again is None
        assert get_delivery(session, first.id) is first  # the session is still usable
    assert count(session_factory, Delivery) == 1


def test_the_same_event_under_a_new_webhook_id_is_a_duplicate(session_factory: Factory) -> None:
    with transaction(session_factory) as session:
        assert record(session, "webhook-1", "event-1") is not None
    with transaction(session_factory) as session:
        assert record(session, "webhook-2", "event-1") is None
        assert record(session, "webhook-3", "event-2") is not None
        # Deliveries without an event id are deduplicated by their key alone.
        assert record(session, "webhook-4", None) is not None
        assert record(session, "webhook-5", None) is not None
    assert count(session_factory, Delivery) == 4


def test_keys_are_unique_per_source(session_factory: Factory) -> None:
    with transaction(session_factory) as session:
        assert record(session, "key-1", "event-1") is not None
        slack = record(session, "key-1", "event-1", source=DeliverySource.SLACK)
        assert slack is not None
        assert slack.source == DeliverySource.SLACK
        assert slack.payload["event"]["data"]["title"] == "DB down"


def test_five_workers_recording_one_delivery_make_one_row(session_factory: Factory) -> None:
    def record_once(index: int) -> bool:
        with transaction(session_factory) as session:
            return record(session, "webhook-1", "event-1", payload={"worker": index}) is not None

    assert sorted(run_concurrently(5, record_once)) == [False, False, False, False, True]
    assert count(session_factory, Delivery) == 1


def test_one_of_five_workers_claims_a_delivery(session_factory: Factory) -> None:
    with transaction(session_factory) as session:
        delivery = record(session, "webhook-1", "event-1")
        assert delivery is not None

    def claim(index: int) -> bool:
        with transaction(session_factory) as session:
            return claim_delivery(session, delivery.id, f"worker-{index}")

    assert sorted(run_concurrently(5, claim)) == [False, False, False, False, True]
    with session_factory() as session:
        claimed = get_delivery(session, delivery.id)
        assert claimed is not None
        assert claimed.status == DeliveryStatus.PROCESSING
        assert claimed.attempts == 1


def test_a_delivery_life_failed_then_retried_then_done(session_factory: Factory) -> None:
    with transaction(session_factory) as session:
        delivery = record(session, "webhook-1", "event-1")
        assert delivery is not None
        assert claim_delivery(session, delivery.id, "worker-a")
        assert fail_delivery(session, delivery.id, "Slack said ratelimited " * 500)
        assert delivery.status == DeliveryStatus.FAILED
        assert delivery.last_error is not None
        assert len(delivery.last_error) == 4000
        assert claim_delivery(session, delivery.id, "worker-b")
        assert finish_delivery(session, delivery.id)
        assert not finish_delivery(session, delivery.id)
        assert not fail_delivery(session, delivery.id, "late failure")
        assert not claim_delivery(session, delivery.id, "worker-c")
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.DONE, 2)
        assert delivery.finished_at is not None


def test_a_stale_claim_of_a_dead_worker_can_be_taken_over(session_factory: Factory) -> None:
    with transaction(session_factory) as session:
        delivery = record(session, "webhook-1", "event-1")
        assert delivery is not None
        assert claim_delivery(session, delivery.id, "worker-a")
        assert not claim_delivery(session, delivery.id, "worker-b")
        delivery.claimed_at = datetime.now(UTC) - timedelta(hours=1)
        session.flush()
        assert claim_delivery(session, delivery.id, "worker-b", stale_after=timedelta(minutes=10))
        assert delivery.claimed_by == "worker-b"


def test_the_reconciler_sees_what_was_recorded_but_not_finished(session_factory: Factory) -> None:
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    with transaction(session_factory) as session:
        ids = {}
        for name in ("fresh", "lost", "dead_worker", "failed", "gave_up", "done", "ignored"):
            delivery = record(session, name, name)
            assert delivery is not None
            ids[name] = delivery.id
            if name != "fresh":
                delivery.received_at = long_ago
        for name in ("dead_worker", "failed", "gave_up", "done", "ignored"):
            assert claim_delivery(session, ids[name], "worker")
        session.execute(update(Delivery).values(claimed_at=long_ago))
        fail_delivery(session, ids["failed"], "boom")
        fail_delivery(session, ids["gave_up"], "boom")
        session.execute(update(Delivery).where(Delivery.id == ids["gave_up"]).values(attempts=5))
        finish_delivery(session, ids["done"])
        finish_delivery(session, ids["ignored"], status=DeliveryStatus.IGNORED)

    cutoff = datetime.now(UTC) - timedelta(minutes=5)
    with session_factory() as session:
        found = {d.dedup_key for d in unfinished_deliveries(session, cutoff, max_attempts=5)}
    assert found == {"lost", "dead_worker", "failed"}


# Incidents


def test_five_workers_get_one_incident_for_a_pagerduty_id(session_factory: Factory) -> None:
    def get_or_create(index: int) -> tuple[int, bool]:
        with transaction(session_factory) as session:
            incident, created = get_or_create_incident_for_pagerduty(
                session, "PINC1", title=f"DB down ({index})", severity="SEV1"
            )
            return incident.id, created

    outcomes = run_concurrently(5, get_or_create)
    assert len({incident_id for incident_id, _ in outcomes}) == 1
    assert sorted(created for _, created in outcomes) == [False, False, False, False, True]
    assert count(session_factory, Incident) == 1
    with transaction(session_factory) as session:
        # The losers gave their numbers back: the next incident is number 2.
        second = create_incident(session, title="Checkout slow", source=IncidentSource.SLACK)
        assert second.number == 2


def test_incident_numbers_are_unique_and_gapless_under_concurrency(
    session_factory: Factory,
) -> None:
    def create_some(index: int) -> list[int]:
        numbers = []
        for n in range(4):
            with transaction(session_factory) as session:
                if n % 2:
                    incident = create_incident(
                        session, title="declared", source=IncidentSource.SLACK
                    )
                else:
                    incident, _ = get_or_create_incident_for_pagerduty(
                        session, f"P{index}-{n}", title="paged"
                    )
                numbers.append(incident.number)
        return numbers

    numbers = [number for batch in run_concurrently(5, create_some) for number in batch]
    assert sorted(numbers) == list(range(1, 21))


def test_an_existing_incident_is_returned_unchanged(session_factory: Factory) -> None:
    with transaction(session_factory) as session:
        first, created = get_or_create_incident_for_pagerduty(
            session, "PINC1", title="DB down", severity="SEV1", urgency="high"
        )
        assert created
        assert (first.number, first.status, first.private) == (1, IncidentStatus.TRIGGERED, False)
    with transaction(session_factory) as session:
        again, created = get_or_create_incident_for_pagerduty(
            session, "PINC1", title="other", severity="SEV4"
        )
        assert not created
        assert (again.id, again.title, again.severity) == (first.id, "DB down", "SEV1")


def test_the_incident_for_a_pagerduty_id_belongs_to_the_session(session_factory: Factory) -> None:
    with transaction(session_factory) as session:
        created, _ = get_or_create_incident_for_pagerduty(session, "PINC1", title="DB down")
        created.lead_name = "Ada"  # stored at commit, as for any object the session loaded
    with transaction(session_factory) as session:
        held = session.get(Incident, created.id)
        found, was_created = get_or_create_incident_for_pagerduty(session, "PINC1", title="x")
        assert not was_created
        assert found is held  # the one object per row the session already had
        assert found.lead_name == "Ada"
        found.lead_name = "Grace"
    with session_factory() as session:
        assert session.get(Incident, created.id).lead_name == "Grace"  # type: ignore[union-attr]


def test_an_incident_is_locked_once_per_transaction(session_factory: Factory) -> None:
    engine = session_factory.kw["bind"]
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite serialises writers; there is no row lock to take")
    incident_id = new_incident(session_factory)
    locks: list[str] = []

    def spy(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:  # counts, changes nothing
        if "FOR NO KEY UPDATE" in statement:
            locks.append(statement)

    event.listen(engine, "before_cursor_execute", spy)
    try:
        with transaction(session_factory) as session:
            lock_incident(session, incident_id)
            lock_incident(session, incident_id)
        assert len(locks) == 1
        with transaction(session_factory) as session:
            assert update_incident(session, incident_id, jira_key="INC-7")
            lock_incident(session, incident_id)  # the update holds the row's lock already
        assert len(locks) == 1
        with transaction(session_factory) as session:
            lock_incident(session, incident_id)  # a new transaction locks again
        assert len(locks) == 2
        with transaction(session_factory) as session:
            created, _ = get_or_create_incident_for_pagerduty(session, "PLOCKNEW", title="New")
            lock_incident(session, created.id)  # nobody else can see, let alone lock, the row
        assert len(locks) == 2
    finally:
        event.remove(engine, "before_cursor_execute", spy)


def test_updates_touch_only_the_given_columns(session_factory: Factory) -> None:
    incident_id = new_incident(session_factory)
    with transaction(session_factory) as session:
        assert update_incident(session, incident_id, slack_channel_id="C123")
    with transaction(session_factory) as session:
        assert update_incident(session, incident_id, jira_key="INC-7")
        assert not update_incident(session, incident_id + 1000, jira_key="INC-8")
    with session_factory() as session:
        incident = incident_by_channel(session, "C123")
        assert incident is not None
        assert (incident.id, incident.jira_key) == (incident_id, "INC-7")
        assert incident.updated_at >= incident.created_at


def test_open_incidents_most_recent_first(session_factory: Factory) -> None:
    ids = [new_incident(session_factory, f"P{n}") for n in range(3)]
    with transaction(session_factory) as session:
        update_incident(session, ids[0], last_event_at=T0 + timedelta(minutes=5))
        update_incident(session, ids[1], last_event_at=T0)
        update_incident(session, ids[2], status=IncidentStatus.RESOLVED, resolved_at=T0)
    with session_factory() as session:
        assert [incident.id for incident in open_incidents(session)] == [ids[0], ids[1]]


# War-room steps


def test_one_of_five_workers_claims_a_step(session_factory: Factory) -> None:
    incident_id = new_incident(session_factory)

    def claim(index: int) -> bool:
        with transaction(session_factory) as session:
            return claim_step(session, incident_id, "create_channel", f"worker-{index}") is not None

    assert sorted(run_concurrently(5, claim)) == [False, False, False, False, True]
    assert count(session_factory, StepResult) == 1


def test_of_five_dispatchers_one_queues_each_step_and_one_worker_claims_it(
    session_factory: Factory,
) -> None:
    incident_id = new_incident(session_factory)

    def queue(index: int) -> list[str]:
        with transaction(session_factory) as session:
            return queue_steps(session, incident_id, ["topic", "summary"][:: 1 - 2 * (index % 2)])

    queued = run_concurrently(5, queue)
    assert sorted(step for steps in queued for step in steps) == ["summary", "topic"]

    def claim(index: int) -> int | None:
        with transaction(session_factory) as session:
            return claim_step(session, incident_id, "topic", f"worker-{index}")

    assert [attempt for attempt in run_concurrently(5, claim) if attempt is not None] == [1]
    with transaction(session_factory) as session:
        assert queue_steps(session, incident_id, ["topic", "summary", "invite"]) == ["invite"]
        rows = {row.step: row.status for row in session.scalars(select(StepResult))}
    assert rows == {
        "topic": StepStatus.CLAIMED,
        "summary": StepStatus.QUEUED,
        "invite": StepStatus.QUEUED,
    }


def test_a_done_step_keeps_its_result_and_is_not_run_again(session_factory: Factory) -> None:
    incident_id = new_incident(session_factory)
    with transaction(session_factory) as session:
        assert step_result(session, incident_id, "create_channel") is None
        assert claim_step(session, incident_id, "create_channel", "worker-a")
        assert step_result(session, incident_id, "create_channel") is None
        complete_steps(session, incident_id, [("create_channel", {"channel_id": "C123"}, utcnow())])
    with transaction(session_factory) as session:
        assert step_result(session, incident_id, "create_channel") == {"channel_id": "C123"}
        assert not claim_step(session, incident_id, "create_channel", "worker-b")
        assert not fail_step(session, incident_id, "create_channel", "late")
        assert step_result(session, incident_id, "create_channel") == {"channel_id": "C123"}


def test_a_failed_or_stale_step_can_be_claimed_again(session_factory: Factory) -> None:
    incident_id = new_incident(session_factory)
    with transaction(session_factory) as session:
        assert claim_step(session, incident_id, "open_jira", "worker-a") == 1
        assert fail_step(session, incident_id, "open_jira", "Jira is down")
        assert claim_step(session, incident_id, "open_jira", "worker-b") == 2
        assert claim_step(session, incident_id, "open_jira", "worker-c") is None
        session.execute(
            update(StepResult).values(claimed_at=datetime.now(UTC) - timedelta(hours=1))
        )
        assert not claim_step(
            session, incident_id, "open_jira", "worker-c", stale_after=timedelta(hours=2)
        )
        assert (
            claim_step(
                session, incident_id, "open_jira", "worker-c", stale_after=timedelta(minutes=5)
            )
            == 3
        )
        row = session.scalars(select(StepResult)).one()
        assert (row.claimed_by, row.attempts, row.error) == ("worker-c", 3, None)


# Responders


def test_responders_are_added_once_per_role_and_email_whoever_adds_them(
    session_factory: Factory,
) -> None:
    incident_id = new_incident(session_factory)
    first = [Person("Ana@Example.com", slack_user_id="U1"), Person("bo@example.com")]
    second = [Person("ana@example.com"), Person("cy@example.com"), Person("BO@example.com")]

    def add(index: int) -> int:
        with transaction(session_factory) as session:
            return add_responders(session, incident_id, "responder", (first, second)[index % 2])

    assert sum(run_concurrently(4, add)) == 3
    with transaction(session_factory) as session:
        assert add_responders(session, incident_id, "lead", [Person("ana@example.com")]) == 1
        found = [(r.role, r.email) for r in responders(session, incident_id)]
    assert sorted(found) == [
        ("lead", "ana@example.com"),
        ("responder", "ana@example.com"),
        ("responder", "bo@example.com"),
        ("responder", "cy@example.com"),
    ]


# Timeline


def test_a_repeated_timeline_event_is_recorded_once(session_factory: Factory) -> None:
    incident_id = new_incident(session_factory)
    other_id = new_incident(session_factory, "PINC2")

    def add(index: int) -> bool:
        with transaction(session_factory) as session:
            return add_timeline(
                session, incident_id, "note", f"pinned by {index}", T0, dedup_key="pin:1.0"
            )

    assert sorted(run_concurrently(5, add)) == [False, False, False, False, True]
    with transaction(session_factory) as session:
        assert add_timeline(session, other_id, "note", "pinned", T0, dedup_key="pin:1.0")
        later = add_timeline(session, incident_id, "declared", "a", T0 + timedelta(seconds=1))
        earlier = add_timeline(session, incident_id, "declared", "b", T0 - timedelta(seconds=1))
        assert later and earlier
    with session_factory() as session:
        entries = timeline(session, incident_id)
        assert [entry.kind for entry in entries] == ["declared", "note", "declared"]
        assert entries[0].text == "b"


# Types and engine


def test_datetimes_come_back_aware_in_utc_and_json_round_trips(session_factory: Factory) -> None:
    incident_id = new_incident(session_factory)
    paris = timezone(timedelta(hours=2))
    at = datetime(2026, 6, 1, 14, 30, 15, 123456, tzinfo=paris)
    data = {"users": ["U1", "U2"], "nested": {"n": 1, "ok": True, "none": None}}
    with transaction(session_factory) as session:
        add_timeline(session, incident_id, "note", "x", at, data=data)
    with session_factory() as session:
        entry = timeline(session, incident_id)[0]
        assert entry.at == at
        assert entry.at.utcoffset() == timedelta(0)
        assert entry.at.hour == 12
        assert entry.data == data


def test_naive_datetimes_are_refused(session_factory: Factory) -> None:
    incident_id = new_incident(session_factory)
    with session_factory() as session, pytest.raises(StatementError, match="naive datetime"):
        add_timeline(session, incident_id, "note", "x", datetime(2026, 6, 1, 14, 30))


def test_foreign_keys_are_enforced(session_factory: Factory) -> None:
    with session_factory() as session, pytest.raises(IntegrityError):
        add_timeline(session, 424242, "note", "orphan", T0)
