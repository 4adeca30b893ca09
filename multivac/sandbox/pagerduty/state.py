"""The emulated PagerDuty account: directory, incidents, webhook subscriptions and their deliveries.

The account owns its webhook dispatcher. `Sandbox.reset()` replaces the account, so the old one must
be `close()`d; until it is, its queued deliveries still drain (bounded attempts, daemon threads).
The account learns where it lives (sandbox URL, Multivac's URL, time scale) from `attach()`, which
the REST and actor blueprints call on every request; it is idempotent.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from multivac.sandbox import credentials
from multivac.sandbox.pagerduty.directory import Directory, OnCall
from multivac.sandbox.pagerduty.incidents import Change, Incident, IncidentBook
from multivac.sandbox.pagerduty.render import Json, Renderer, iso
from multivac.sandbox.pagerduty.webhooks import (
    Delivery,
    DeliveryPolicy,
    Dispatcher,
    Subscription,
    envelope,
    ulid_like,
)

UI_CLIENT: Json = {"name": "PagerDuty"}  # `event.client` of actions taken in PagerDuty's own UI


class PagerDutyAccount:
    def __init__(self, directory: Directory, policy: DeliveryPolicy | None = None) -> None:
        self.directory = directory
        self.incidents = IncidentBook(directory)
        self.subscriptions: dict[str, Subscription] = {}
        self.api_url = "http://sandbox.invalid/pagerduty"
        self._time_scale: Callable[[], float] = lambda: 1.0
        self._attached = False
        self._attach_lock = threading.Lock()
        self.dispatcher = Dispatcher(
            self.subscriptions, policy or DeliveryPolicy(), self.time_scale
        )

    @classmethod
    def seeded(cls, policy: DeliveryPolicy | None = None) -> PagerDutyAccount:
        return cls(Directory.seeded(), policy)

    def attach(
        self, api_url: str, multivac_url: str | None, time_scale: Callable[[], float]
    ) -> None:
        """Bind to the running sandbox once; creates the default subscription to Multivac."""
        with self._attach_lock:
            if self._attached:
                return
            self._attached = True
            self.api_url = api_url
            self._time_scale = time_scale
            if multivac_url:
                self.subscribe(
                    multivac_url.rstrip("/") + "/webhooks/pagerduty",
                    secret=credentials.PAGERDUTY_WEBHOOK_SECRET,
                    description="Multivac (sandbox default)",
                )

    def time_scale(self) -> float:
        return self._time_scale()

    @property
    def render(self) -> Renderer:
        return Renderer(self.directory, self.api_url)

    # -- on-call ------------------------------------------------------------------------------

    def oncalls_at(self, moment: datetime, policy_id: str) -> dict[int, list[OnCall]]:
        """Each escalation level of `policy_id` mapped to who is on call at `moment`."""
        levels: dict[int, list[OnCall]] = {}
        for oncall in self.directory.oncalls(self.directory.policies[policy_id], moment, moment):
            levels.setdefault(oncall.level, []).append(oncall)
        return levels

    # -- webhooks -----------------------------------------------------------------------------

    def subscribe(
        self,
        url: str,
        *,
        secret: str | None = None,
        description: str = "",
        events: tuple[str, ...] = (),
        filter_type: str = "account_reference",
        filter_id: str | None = None,
        custom_headers: dict[str, str] | None = None,
    ) -> Subscription:
        subscription = Subscription(
            id="P" + secrets.token_hex(3).upper(),
            url=url,
            secrets=[secret or secrets.token_urlsafe(48)],
            description=description,
            events=events,
            filter_type=filter_type,
            filter_id=filter_id,
            custom_headers=custom_headers or {},
        )
        self.subscriptions[subscription.id] = subscription
        return subscription

    def default_subscription(self) -> Subscription | None:
        return next(iter(self.subscriptions.values()), None)

    def publish(self, changes: list[Change], now: datetime, client: Json | None) -> None:
        """Render each change as it is now and queue it for every interested subscription."""
        for change in changes:
            incident = self.incidents.incidents[change.incident_id]
            agent = self.render.user_ref(change.agent_id) if change.agent_id else None
            body = envelope(change.event_type, now, agent, client, self._data(change, incident))
            self._fan_out(change.event_type, incident, body)

    def ping(self, subscription: Subscription, now: datetime) -> Delivery:
        data = {"message": "Hello from your friend Pagey!", "type": "ping"}
        body = envelope("pagey.ping", now, None, None, data)
        delivery = Delivery(ulid_like(), subscription.id, "pagey.ping", subscription.id, body)
        self.dispatcher.submit(delivery)
        return delivery

    def send_raw(
        self, subscription: Subscription, body: bytes, headers: dict[str, str]
    ) -> Delivery:
        """Deliver arbitrary bytes through the normal pipeline, signed unless `headers` override."""
        delivery = Delivery(ulid_like(), subscription.id, "raw", "raw", body, headers=headers)
        self.dispatcher.submit(delivery)
        return delivery

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until no webhook delivery is pending; False if `timeout` seconds passed first."""
        return self.dispatcher.wait_idle(timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Stop delivering: pending deliveries are dropped, in-flight attempts are awaited."""
        self.dispatcher.stop(timeout)

    def _data(self, change: Change, incident: Incident) -> Json:
        if change.note is not None:
            return self.render.note_data(incident, change.note)
        if change.responder is not None:
            return self.render.responder_data(incident, change.responder)
        return self.render.incident_data(incident)

    def _fan_out(self, event_type: str, incident: Incident, body: bytes) -> None:
        for subscription in list(self.subscriptions.values()):
            if subscription.wants(event_type, incident.service_id, incident.team_id):
                self.dispatcher.submit(
                    Delivery(ulid_like(), subscription.id, event_type, incident.id, body)
                )

    # -- inspection ---------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """JSON-able state for the sandbox page and tests; subscription secrets are never shown."""
        return {
            "incidents": [self._incident_snapshot(i) for i in self.incidents.ordered()],
            "webhook_subscriptions": [s.as_json() for s in self.subscriptions.values()],
            "deliveries": self.dispatcher.snapshot(),
            "now": iso(datetime.now(UTC)),
        }

    def _incident_snapshot(self, incident: Incident) -> Json:
        render = self.render
        return {
            **render.incident(incident),
            "escalation_level": incident.escalation_level,
            "notes": [render.note(n) for n in incident.notes],
            "responders": [render.responder_data(incident, r) for r in incident.responders],
            "log": [render.log_entry(incident, e) for e in incident.log],
        }
