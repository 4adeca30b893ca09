"""The database schema: incidents, the people in them, their timelines, war-room steps, inbound
deliveries and the user-id cache.

Portable between SQLite and PostgreSQL. Every datetime is timezone-aware UTC in Python, whatever the
backend stores. Uniqueness that the domain relies on ("one war room per PagerDuty incident", "each
delivery once") is declared here as unique constraints, never merely checked in Python.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Dialect,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names, so that migrations can refer to them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A datetime that is always timezone-aware UTC when read back.

    Naive datetimes are refused on write (their zone would be a guess). SQLite keeps no zone, so the
    value is stored as naive UTC there and the zone is re-attached on read.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    """A portable enum column: VARCHAR of the values (not the member names), checked on write."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(member.value) for member in cls),
        validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
    )


class IncidentStatus(enum.StrEnum):
    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class IncidentSource(enum.StrEnum):
    PAGERDUTY = "pagerduty"
    SLACK = "slack"


class DeliverySource(enum.StrEnum):
    PAGERDUTY = "pagerduty"
    SLACK = "slack"


class DeliveryStatus(enum.StrEnum):
    RECEIVED = "received"
    PROCESSING = "processing"
    DONE = "done"
    FAILED = "failed"
    IGNORED = "ignored"


class StepStatus(enum.StrEnum):
    QUEUED = "queued"  # handed to a worker, not started yet
    CLAIMED = "claimed"
    DONE = "done"
    FAILED = "failed"


class Role(enum.StrEnum):
    """Usual responder roles; the column accepts any short string."""

    LEAD = "lead"
    CX = "cx"
    COMMS = "comms"
    SCRIBE = "scribe"
    RESPONDER = "responder"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON(none_as_null=True)}


class Counter(Base):
    """Named gapless counters (the incident number), incremented with one atomic upsert."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_status_last_event_at", "status", "last_event_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    pagerduty_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    pagerduty_number: Mapped[int | None]
    source: Mapped[IncidentSource] = mapped_column(_enum(IncidentSource, "incident_source"))
    title: Mapped[str] = mapped_column(Text)
    severity: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[IncidentStatus] = mapped_column(
        _enum(IncidentStatus, "incident_status"), default=IncidentStatus.TRIGGERED
    )
    urgency: Mapped[str | None] = mapped_column(String(16))
    service_id: Mapped[str | None] = mapped_column(String(64))
    service_name: Mapped[str | None] = mapped_column(String(255))
    escalation_policy_id: Mapped[str | None] = mapped_column(String(64))
    slack_channel_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    slack_channel_name: Mapped[str | None] = mapped_column(String(80))
    slack_summary_ts: Mapped[str | None] = mapped_column(String(32))
    jira_key: Mapped[str | None] = mapped_column(String(64))
    lead_email: Mapped[str | None] = mapped_column(String(255))
    lead_slack_id: Mapped[str | None] = mapped_column(String(32))
    lead_pagerduty_id: Mapped[str | None] = mapped_column(String(64))
    cx_liaison_slack_id: Mapped[str | None] = mapped_column(String(32))
    lead_name: Mapped[str | None] = mapped_column(String(255))
    pagerduty_url: Mapped[str | None] = mapped_column(Text)
    war_room_started_at: Mapped[datetime | None]
    slack_archived_at: Mapped[datetime | None]
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    triggered_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    last_event_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    responders: Mapped[list[Responder]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", passive_deletes=True
    )
    timeline: Mapped[list[TimelineEntry]] = relationship(
        back_populates="incident",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="TimelineEntry.at",
    )


class Responder(Base):
    """A person in an incident's war room in one role; an email is required to identify them."""

    __tablename__ = "responders"
    __table_args__ = (UniqueConstraint("incident_id", "role", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(32))
    email: Mapped[str] = mapped_column(String(255))
    slack_user_id: Mapped[str | None] = mapped_column(String(32))
    pagerduty_user_id: Mapped[str | None] = mapped_column(String(64))
    invited_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    incident: Mapped[Incident] = relationship(back_populates="responders")


class TimelineEntry(Base):
    """One line of an incident's timeline; `dedup_key`, when set, is unique per incident."""

    __tablename__ = "timeline_entries"
    __table_args__ = (
        UniqueConstraint("incident_id", "dedup_key"),
        Index("ix_timeline_entries_incident_id_at", "incident_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(255))
    source: Mapped[str | None] = mapped_column(String(32))
    data: Mapped[dict[str, Any] | None]
    dedup_key: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    incident: Mapped[Incident] = relationship(back_populates="timeline")


class StepResult(Base):
    """The state of one war-room step of one incident: who runs it, and its result once done."""

    __tablename__ = "step_results"
    __table_args__ = (UniqueConstraint("incident_id", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    step: Mapped[str] = mapped_column(String(64))
    status: Mapped[StepStatus] = mapped_column(_enum(StepStatus, "step_status"))
    result: Mapped[dict[str, Any] | None]
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=1)
    claimed_by: Mapped[str | None] = mapped_column(String(255))
    claimed_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class Delivery(Base):
    """An inbound webhook or event, recorded before it is acknowledged.

    Unique per source by delivery key (PagerDuty `X-Webhook-Id`, Slack `event_id`) and by event id
    (PagerDuty `event.id`), so one event redelivered under a new webhook id is still seen once.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("source", "dedup_key"),
        UniqueConstraint("source", "event_id"),
        Index("ix_deliveries_status_received_at", "status", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[DeliverySource] = mapped_column(_enum(DeliverySource, "delivery_source"))
    dedup_key: Mapped[str] = mapped_column(String(255))
    event_id: Mapped[str | None] = mapped_column(String(255))
    event_type: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[str | None] = mapped_column(String(64), index=True)
    occurred_at: Mapped[datetime | None]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[DeliveryStatus] = mapped_column(
        _enum(DeliveryStatus, "delivery_status"), default=DeliveryStatus.RECEIVED
    )
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(255))
    claimed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None]


class UserCache(Base):
    """Cached look-ups (e.g. Slack user id by email); a NULL value caches "no such user"."""

    __tablename__ = "user_cache"
    __table_args__ = (UniqueConstraint("kind", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(255))
    value: Mapped[str | None] = mapped_column(String(255))
    fetched_at: Mapped[datetime]
