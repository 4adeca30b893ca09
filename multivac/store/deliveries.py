"""Inbound deliveries (webhooks, Slack events): recorded once, claimed by one worker at a time,
re-driven by the reconciler until finished.

None of these functions commit: they run in the caller's transaction, and their guarantees hold once
it commits. A delivery's life: received → processing → done | ignored, or → failed → processing ...
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.orm import Session

from multivac.store.models import Delivery, DeliverySource, DeliveryStatus, utcnow
from multivac.store.statements import expire_loaded, insert_or_ignore, rows_updated, table_of

# A worker that holds a claim longer than this is presumed dead; its delivery may be claimed again.
DEFAULT_CLAIM_TIMEOUT = timedelta(minutes=10)
MAX_ERROR_LENGTH = 4000
_FINAL = (DeliveryStatus.DONE, DeliveryStatus.IGNORED)

# Built once: every delivery is claimed and finished, on the path to a war room.
_DELIVERIES = table_of(Delivery)
_CLAIM = (
    update(_DELIVERIES)
    .where(
        _DELIVERIES.c.id == bindparam("p_id"),
        or_(
            _DELIVERIES.c.status.in_((DeliveryStatus.RECEIVED, DeliveryStatus.FAILED)),
            and_(
                _DELIVERIES.c.status == DeliveryStatus.PROCESSING,
                _DELIVERIES.c.claimed_at < bindparam("p_stale_before"),
            ),
        ),
    )
    .values(
        status=DeliveryStatus.PROCESSING,
        claimed_by=bindparam("p_worker"),
        claimed_at=bindparam("p_now"),
        attempts=_DELIVERIES.c.attempts + 1,
    )
    .returning(_DELIVERIES.c.payload)
)
_FINISH = (
    update(_DELIVERIES)
    .where(_DELIVERIES.c.id == bindparam("p_id"), _DELIVERIES.c.status.not_in(_FINAL))
    .values(status=bindparam("p_status"), finished_at=bindparam("p_now"))
    .returning(_DELIVERIES.c.id)
)


def record_delivery(
    session: Session,
    *,
    source: DeliverySource,
    dedup_key: str,
    event_id: str | None,
    event_type: str,
    resource_id: str | None,
    occurred_at: datetime | None,
    payload: dict[str, Any],
) -> Delivery | None:
    """Record a delivery as `received`, or return None when this source already has one with the
    same `dedup_key` or the same `event_id` (a redelivery, possibly under a new webhook id).

    Safe under concurrency: of any number of simultaneous calls for one delivery exactly one gets
    the row, the others get None; no exception is raised and the session stays usable.
    """
    values = {
        "source": source,
        "dedup_key": dedup_key,
        "event_id": event_id,
        "event_type": event_type,
        "resource_id": resource_id,
        "occurred_at": occurred_at,
        "received_at": utcnow(),
        "payload": payload,
        "status": DeliveryStatus.RECEIVED,
        "attempts": 0,
    }
    statement = insert_or_ignore(session, Delivery, values).returning(Delivery)
    return session.scalars(statement).one_or_none()


def get_delivery(session: Session, delivery_id: int) -> Delivery | None:
    return session.get(Delivery, delivery_id)


def claim_delivery(
    session: Session,
    delivery_id: int,
    worker: str,
    *,
    stale_after: timedelta = DEFAULT_CLAIM_TIMEOUT,
) -> bool:
    """Take the delivery for `worker` (status → processing, attempts + 1) and return True, or
    return False when it is finished, unknown, or claimed less than `stale_after` ago.

    Atomic: one conditional UPDATE, so of simultaneous claimers at most one wins. Received and
    failed deliveries are claimable, and so is one whose claim went stale (its worker died). A
    worker that retries later must call `fail_delivery` first, or its own claim blocks it until
    it goes stale.
    """
    return claim_delivery_payload(session, delivery_id, worker, stale_after=stale_after) is not None


def claim_delivery_payload(
    session: Session,
    delivery_id: int,
    worker: str,
    *,
    stale_after: timedelta = DEFAULT_CLAIM_TIMEOUT,
) -> dict[str, Any] | None:
    """`claim_delivery` that also reads what was delivered, in the same statement: the payload
    when the claim succeeded, else None."""
    now = utcnow()
    parameters = {
        "p_id": delivery_id,
        "p_worker": worker,
        "p_now": now,
        "p_stale_before": now - stale_after,
    }
    row = session.execute(_CLAIM, parameters).first()
    expire_loaded(session, Delivery, delivery_id)
    return None if row is None else (row.payload or {})


def finish_delivery(
    session: Session, delivery_id: int, *, status: DeliveryStatus = DeliveryStatus.DONE
) -> bool:
    """Mark the delivery handled (`done`) or deliberately not handled (`ignored`); the reconciler
    never returns it again. Idempotent: returns False if it was already finished (or is unknown)."""
    if status not in _FINAL:
        raise ValueError(f"a delivery finishes as done or ignored, not {status}")
    parameters = {"p_id": delivery_id, "p_status": status, "p_now": utcnow()}
    finished = session.execute(_FINISH, parameters).first() is not None
    expire_loaded(session, Delivery, delivery_id)
    return finished


def fail_delivery(session: Session, delivery_id: int, error: str) -> bool:
    """Record a failed attempt (status → failed, `error` kept truncated); the delivery becomes
    claimable again at once. Returns False if it was already finished (or is unknown)."""
    statement = (
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status.not_in(_FINAL))
        .values(status=DeliveryStatus.FAILED, last_error=error[:MAX_ERROR_LENGTH])
        .execution_options(synchronize_session="fetch")
    )
    return rows_updated(session, statement) == 1


def unfinished_deliveries(
    session: Session,
    older_than: datetime,
    *,
    max_attempts: int = 5,
    limit: int = 100,
) -> list[Delivery]:
    """Deliveries to re-drive, oldest first: received before `older_than` and never claimed, or
    whose last claim is older than `older_than` and that are still processing (worker presumably
    dead) or failed with fewer than `max_attempts` attempts. Reading takes no claim: re-drive them
    through `claim_delivery`."""
    never_claimed = and_(
        Delivery.status == DeliveryStatus.RECEIVED, Delivery.received_at < older_than
    )
    abandoned = and_(
        Delivery.claimed_at < older_than,
        or_(
            Delivery.status == DeliveryStatus.PROCESSING,
            and_(Delivery.status == DeliveryStatus.FAILED, Delivery.attempts < max_attempts),
        ),
    )
    statement = (
        select(Delivery)
        .where(or_(never_claimed, abandoned))
        .order_by(Delivery.received_at, Delivery.id)
        .limit(limit)
    )
    return list(session.scalars(statement))
