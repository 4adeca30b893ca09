"""`Pager` over pdpyras' `APISession`, and the one place PagerDuty errors become typed errors."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import requests
from pdpyras import APISession, PDClientError, PDHTTPError

from multivac.integrations.environment import pin_environment
from multivac.integrations.errors import (
    IntegrationError,
    NotFound,
    RateLimited,
    Rejected,
    Transient,
)
from multivac.integrations.ports import (
    IncidentStatus,
    OnCall,
    Pager,
    PagerIncident,
    PagerPriority,
    PagerService,
    PagerUser,
    Urgency,
)
from multivac.settings import PagerDutySettings

SERVICE = "pagerduty"


def _retry_after(response: requests.Response) -> float:
    for header in ("Retry-After", "ratelimit-reset"):
        try:
            return max(1.0, float(response.headers[header]))
        except (KeyError, TypeError, ValueError):
            continue
    return 1.0


def _pd_message(response: requests.Response) -> tuple[str, str]:
    """PagerDuty's (code, message) from an error body `{"error": {"code", "message", "errors"}}`."""
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        return str(response.status_code), response.text[:200] or response.reason
    details = "; ".join(str(item) for item in error.get("errors") or [])
    message = str(error.get("message") or response.reason)
    code = str(error.get("code") or response.status_code)
    return code, f"{message}: {details}" if details else message


def map_pagerduty_error(error: PDClientError) -> IntegrationError:
    """The typed error for a pdpyras failure (an HTTP error, or no response at all)."""
    response = error.response
    if response is None or not response.status_code:
        return Transient(SERVICE, f"could not reach PagerDuty ({error})")
    status = response.status_code
    if status == 429:
        return RateLimited(SERVICE, _retry_after(response))
    if status >= 500 or response.ok:  # a 2xx that pdpyras could not read is the server's fault
        return Transient(SERVICE, f"PagerDuty had a problem (HTTP {status}); try again shortly.")
    code, message = _pd_message(response)
    if status == 404:
        return NotFound(SERVICE, f"PagerDuty could not find it: {message}", code=code)
    if status in (401, 403):
        return Rejected(SERVICE, str(status), f"PagerDuty refused Multivac's API token: {message}")
    return Rejected(SERVICE, code, f"PagerDuty refused the request: {message}")


@contextmanager
def pagerduty_errors() -> Iterator[None]:
    try:
        yield
    except PDClientError as error:
        raise map_pagerduty_error(error) from error
    except requests.RequestException as error:
        raise Transient(SERVICE, f"could not reach PagerDuty ({error})") from error


class FailFastAPISession(APISession):  # type: ignore[misc]  # pdpyras ships no type hints
    """An `APISession` that hands rate limits back instead of sleeping on them.

    pdpyras retries HTTP 429 forever (3, 6, 12 ... s sleeps) and its `retry` table has no
    "zero retries" value for 429, so this raises from `postprocess`, the hook pdpyras documents
    for subclasses; it runs before the retry loop looks at the status. pdpyras' own
    `postprocess` only keeps per-endpoint call counts and times, which Multivac never reads;
    working out the endpoint (matching the URL against every known path) cost more CPU than
    the rest of the call, so it is left out.
    """

    def postprocess(self, response: requests.Response) -> None:
        if response.status_code == 429:
            raise PDHTTPError("rate limited", response)


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None


def _ref_id(ref: Mapping[str, Any] | None) -> str | None:
    return str(ref["id"]) if ref and ref.get("id") else None


def _incident(raw: Mapping[str, Any]) -> PagerIncident:
    service: Mapping[str, Any] = raw.get("service") or {}
    priority: Mapping[str, Any] | None = raw.get("priority")
    assignments = raw.get("assignments") or []
    assignees = [a.get("assignee") for a in assignments] or raw.get("assignees") or []
    return PagerIncident(
        id=str(raw["id"]),
        number=int(raw.get("incident_number") or raw.get("number") or 0),
        title=str(raw.get("title") or raw.get("summary") or ""),
        status=str(raw.get("status", "")),
        urgency=str(raw.get("urgency", "")),
        priority=(priority.get("name") or priority.get("summary")) if priority else None,
        service_id=str(service.get("id", "")),
        service_name=str(service.get("name") or service.get("summary") or ""),
        escalation_policy_id=_ref_id(raw.get("escalation_policy")),
        assignee_ids=tuple(str(a["id"]) for a in assignees if a and a.get("id")),
        html_url=str(raw.get("html_url", "")),
        created_at=_time(raw.get("created_at")),
    )


def _oncall(raw: Mapping[str, Any]) -> OnCall:
    user: Mapping[str, Any] = raw.get("user") or {}
    schedule: Mapping[str, Any] | None = raw.get("schedule")
    return OnCall(
        user_id=str(user["id"]),
        name=str(user.get("name") or user.get("summary") or ""),
        email=user.get("email"),
        escalation_policy_id=str((raw.get("escalation_policy") or {}).get("id", "")),
        escalation_level=int(raw.get("escalation_level") or 0),
        schedule_name=(schedule.get("name") or schedule.get("summary")) if schedule else None,
        start=_time(raw.get("start")),
        end=_time(raw.get("end")),
    )


def _utc(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


class PagerDutyPager:
    """The `Pager` port over an `APISession` (build it with `build_pager`, which fails fast).

    Priority ids are looked up once by name and kept for the life of this object.
    """

    def __init__(self, session: APISession) -> None:
        self._session = session
        self._priority_ids: dict[str, str] = {}
        self._lock = threading.Lock()

    def get_incident(self, *, incident_id: str) -> PagerIncident:
        with pagerduty_errors():
            return _incident(self._session.rget(f"/incidents/{incident_id}"))

    def oncalls(
        self, *, escalation_policy_ids: Sequence[str], at: datetime | None = None
    ) -> list[OnCall]:
        params: dict[str, Any] = {
            "escalation_policy_ids": list(escalation_policy_ids),
            "include": ["users"],
            "earliest": "true",
        }
        if at is not None:
            params.update(since=_utc(at), until=_utc(at + timedelta(seconds=1)))
        with pagerduty_errors():
            return [_oncall(raw) for raw in self._session.iter_all("/oncalls", params=params)]

    def user(self, *, user_id: str) -> PagerUser:
        with pagerduty_errors():
            raw = self._session.rget(f"/users/{user_id}")
        return PagerUser(id=str(raw["id"]), name=str(raw.get("name", "")), email=str(raw["email"]))

    def find_user_by_email(self, *, email: str) -> PagerUser | None:
        wanted = email.strip().lower()
        with pagerduty_errors():
            raws = list(self._session.iter_all("/users", params={"query": wanted}))
        found = (r for r in raws if str(r.get("email", "")).lower() == wanted)
        raw = next(found, None)
        if raw is None:
            return None
        return PagerUser(id=str(raw["id"]), name=str(raw.get("name", "")), email=str(raw["email"]))

    def add_note(self, *, incident_id: str, content: str) -> None:
        with pagerduty_errors():
            self._session.rpost(f"/incidents/{incident_id}/notes", json={"content": content})

    def set_status(self, *, incident_id: str, status: IncidentStatus) -> None:
        body = {"type": "incident_reference", "status": status}
        with pagerduty_errors():
            self._session.rput(f"/incidents/{incident_id}", json=body)

    def set_priority(self, *, incident_id: str, priority: str) -> None:
        body = {"type": "incident_reference", "priority": self._priority_ref(priority)}
        with pagerduty_errors():
            self._session.rput(f"/incidents/{incident_id}", json=body)

    def create_incident(
        self,
        *,
        title: str,
        service_id: str,
        urgency: Urgency,
        details: str,
        incident_key: str,
        assignee_id: str | None = None,
        priority: str | None = None,
    ) -> PagerIncident:
        body: dict[str, Any] = {
            "type": "incident",
            "title": title,
            "service": {"id": service_id, "type": "service_reference"},
            "urgency": urgency,
            "incident_key": incident_key,
            "body": {"type": "incident_body", "details": details},
        }
        if assignee_id is not None:
            body["assignments"] = [{"assignee": {"id": assignee_id, "type": "user_reference"}}]
        if priority is not None:
            body["priority"] = self._priority_ref(priority)
        with pagerduty_errors():
            return _incident(self._session.rpost("/incidents", json=body))

    def add_responders(
        self,
        *,
        incident_id: str,
        requester_id: str,
        user_ids: Sequence[str] = (),
        escalation_policy_ids: Sequence[str] = (),
        message: str,
    ) -> None:
        targets = [("user_reference", user_id) for user_id in user_ids]
        targets += [("escalation_policy_reference", ep) for ep in escalation_policy_ids]
        body = {
            "requester_id": requester_id,
            "message": message,
            "responder_request_targets": [
                {"responder_request_target": {"id": target_id, "type": kind}}
                for kind, target_id in targets
            ],
        }
        with pagerduty_errors():
            self._session.rpost(f"/incidents/{incident_id}/responder_requests", json=body)

    def services(self) -> list[PagerService]:
        with pagerduty_errors():
            raws = list(self._session.iter_all("/services"))
        return [
            PagerService(
                id=str(raw["id"]),
                name=str(raw.get("name", "")),
                escalation_policy_id=_ref_id(raw.get("escalation_policy")),
            )
            for raw in raws
        ]

    def priorities(self) -> list[PagerPriority]:
        with pagerduty_errors():
            raws = list(self._session.iter_all("/priorities"))
        found = [PagerPriority(id=str(raw["id"]), name=str(raw["name"])) for raw in raws]
        with self._lock:
            self._priority_ids.update({p.name: p.id for p in found})
        return found

    def _priority_ref(self, name: str) -> dict[str, str]:
        with self._lock:
            known = self._priority_ids.get(name)
        if known is None:
            known = next((p.id for p in self.priorities() if p.name == name), None)
        if known is None:
            raise Rejected(SERVICE, "unknown_priority", f"PagerDuty has no priority named {name}.")
        return {"id": known, "type": "priority_reference"}


def build_pager(settings: PagerDutySettings) -> PagerDutyPager:
    """A `PagerDutyPager` whose session never sleeps: errors surface at once as typed errors.

    No retries of any kind (429 is handed back with its `Retry-After`, 5xx and network errors
    raise on the first failure) so that Celery, not a worker thread, schedules the next attempt.
    """
    session = FailFastAPISession(
        settings.api_token.get_secret_value(), default_from=settings.from_email
    )
    session.url = settings.api_url.rstrip("/")
    session.timeout = settings.timeout_seconds
    session.retry = {}  # no per-status retries (pdpyras' default for REST, made explicit)
    session.max_network_attempts = 0  # raise on the first connection error or timeout
    pin_environment(session, session.url)
    return PagerDutyPager(session)


if TYPE_CHECKING:

    def _conforms(session: APISession) -> Pager:  # mypy checks PagerDutyPager against the port
        return PagerDutyPager(session)
