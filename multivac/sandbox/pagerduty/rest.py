"""Request plumbing shared by the PagerDuty REST handlers: errors, auth, `From`, paging."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask import Response, jsonify, request

from multivac.sandbox import credentials
from multivac.sandbox.pagerduty.directory import User
from multivac.sandbox.pagerduty.state import PagerDutyAccount

if TYPE_CHECKING:
    from multivac.sandbox.server import Sandbox

MAX_PAGE = 100
MAX_OFFSET = 10000
FROM_MISSING = (
    'You must specify a user\'s email address in the "From" header to perform this action'
)


class ApiError(Exception):
    """Answered as PagerDuty's `{"error": {"message", "code", "errors"}}` body."""

    def __init__(
        self,
        status: int,
        message: str,
        code: int | None = None,
        errors: list[str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code
        self.errors = errors
        self.headers = headers or {}

    def response(self) -> Response:
        error: dict[str, Any] = {"message": self.message}
        if self.code is not None:
            error["code"] = self.code
        if self.errors is not None:
            error["errors"] = self.errors
        response = jsonify(error=error)
        response.status_code = self.status
        response.headers.update(self.headers)
        return response


def invalid(*errors: str) -> ApiError:
    return ApiError(400, "Invalid Input Provided", 2001, list(errors))


def not_found() -> ApiError:
    return ApiError(404, "Not Found", 2100)


def account_of(sandbox: Sandbox) -> PagerDutyAccount:
    """The sandbox's current account, bound to this running sandbox (idempotent)."""
    account = sandbox.pagerduty
    account.attach(
        api_url=f"{sandbox.base_url}/pagerduty",
        multivac_url=sandbox.multivac_url,
        time_scale=lambda: sandbox.traffic.time_scale,
    )
    return account


def token() -> str:
    """The API key of the request; raises 401 unless it is the sandbox's key."""
    header = request.headers.get("Authorization", "")
    match = re.fullmatch(r"Token token=(\S+)", header.strip())
    if match is None or match.group(1) != credentials.PAGERDUTY_API_TOKEN:
        raise ApiError(401, "Unauthorized", 2006)
    return match.group(1)


def canonical_operation() -> str:
    """`PUT /incidents/{id}`: the method and the route with its variables named as in the docs."""
    if request.url_rule is None:
        return f"{request.method} {request.path}"
    values = request.view_args or {}

    def name(variable: re.Match[str]) -> str:
        converter, key = variable.group(1), variable.group(2)
        return str(values.get(key, "")) if (converter or "").startswith("any(") else "{id}"

    path = re.sub(r"<(?:([^:>]+):)?([^>]+)>", name, request.url_rule.rule)
    return f"{request.method} {path.removeprefix('/pagerduty')}"


def from_user(account: PagerDutyAccount) -> User:
    """The `From` user every write needs; 400 if missing or not a user of the account."""
    email = request.headers.get("From", "").strip()
    if not email:
        raise ApiError(400, FROM_MISSING, 2001, [FROM_MISSING])
    user = account.directory.user_by_email(email)
    if user is None:
        raise invalid("Requester User Not Found")
    return user


def body_object(wrapper: str) -> dict[str, Any]:
    """`request.json[wrapper]` as a dict, else 400."""
    body = request.get_json(silent=True)
    inner = body.get(wrapper) if isinstance(body, dict) else None
    if not isinstance(inner, dict):
        raise invalid(f"{wrapper} must be an object")
    return inner


def list_arg(name: str) -> list[str]:
    """`name[]=a&name[]=b` (what pdpyras sends) or `name=a&name=b`."""
    return request.args.getlist(f"{name}[]") + request.args.getlist(name)


def flag_arg(name: str) -> bool:
    return request.args.get(name, "").lower() in ("true", "1")


def time_arg(name: str, default: datetime) -> datetime:
    value = request.args.get(name)
    if not value:
        return default
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise ApiError(400, "Invalid 'since' or 'until' Parameter Values", 2004) from None


def paginate(items: list[dict[str, Any]], key: str) -> Response:
    """Classic pagination: `limit` (default 25, max 100), `offset`, `more`, `total` if asked."""
    try:
        limit = min(max(int(request.args.get("limit", 25)), 1), MAX_PAGE)
        offset = max(int(request.args.get("offset", 0)), 0)
    except ValueError:
        raise invalid("limit and offset must be integers") from None
    if offset + limit > MAX_OFFSET:
        raise invalid(f"Offset must be less than {MAX_OFFSET} - limit")
    page = items[offset : offset + limit]
    total = len(items) if flag_arg("total") else None
    body = {
        key: page,
        "limit": limit,
        "offset": offset,
        "more": offset + limit < len(items),
        "total": total,
    }
    return jsonify(body)
