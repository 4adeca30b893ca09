"""What every emulated Jira call goes through: authentication, the sandbox gate, the state lock
and Jira's error shape.

Handlers are plain functions `(call, site, **path_params) -> response` registered with
`JiraRouter.add`, which serves them under `/rest/api/{2,latest}` (and `3` when asked),
holding the sandbox lock; they may raise `JiraError`.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, g, jsonify, request
from flask.typing import ResponseReturnValue

from multivac.sandbox import credentials
from multivac.sandbox.gate import Refusal, admit
from multivac.sandbox.jira.errors import JiraError
from multivac.sandbox.jira.models import JiraUser
from multivac.sandbox.jira.state import JiraSite
from multivac.sandbox.traffic import Limit

if TYPE_CHECKING:
    from multivac.sandbox.server import Sandbox

SERVICE = "jira"
# Jira Cloud's budgets are cost-based and unpublished; this is generous per user and operation.
USER_LIMIT = Limit(calls=300, per_seconds=60)
API_TOKENS = {credentials.JIRA_EMAIL: credentials.JIRA_API_TOKEN}
ANY_VERSION = ("2", "3", "latest")
ANONYMOUS = "anonymous"

NOT_AUTHENTICATED = "Client must be authenticated to access this resource."
BAD_PAYLOAD = "Invalid request payload. Refer to the REST API documentation and try again."
SERVER_ERRORS = {
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable. Please try again later.",
    504: "Gateway timeout",
}

Handler = Callable[..., ResponseReturnValue]


@dataclass(frozen=True)
class Route:
    """`METHOD template` served by `handler`; the template is relative to `/rest/api/{version}`
    (`issue/{issueIdOrKey}`) unless it starts with `/`."""

    method: str
    template: str
    handler: Handler
    versions: tuple[str, ...] = ("2", "latest")
    anonymous: bool = False


@dataclass(frozen=True)
class Call:
    """The authenticated request as handlers see it."""

    user: JiraUser | None  # None only on endpoints that allow anonymous access
    base: str  # the site URL, e.g. http://127.0.0.1:5000/jira
    now: datetime

    @property
    def caller(self) -> JiraUser:
        if self.user is None:
            raise JiraError(401, [NOT_AUTHENTICATED])
        return self.user

    @staticmethod
    def body() -> dict[str, Any]:
        """The JSON object sent, or `JiraError` 400 as Jira answers malformed payloads."""
        data = request.get_json(force=True, silent=True)
        if not isinstance(data, dict):
            raise JiraError(400, [BAD_PAYLOAD])
        return data

    @staticmethod
    def arg_int(name: str, default: int) -> int:
        try:
            return int(request.args.get(name, default))
        except ValueError:
            raise JiraError(400, [f"The '{name}' parameter must be a number."]) from None


def jira_error(error: JiraError) -> ResponseReturnValue:
    return jsonify(error.body()), error.status


def _refused(refusal: Refusal) -> ResponseReturnValue:
    if refusal.status == 429:
        body = JiraError(429, ["Rate limit exceeded."]).body()
        return jsonify(body), 429, {"Retry-After": str(refusal.retry_after or 1)}
    message = SERVER_ERRORS.get(refusal.status, "Unexpected error")
    return jsonify(JiraError(refusal.status, [message]).body()), refusal.status


def _unauthenticated(bad_credentials: bool) -> ResponseReturnValue:
    headers = {"WWW-Authenticate": 'Basic realm="protected-area"'}
    if bad_credentials:
        headers["X-Seraph-LoginReason"] = "AUTHENTICATED_FAILED"
    return jsonify(JiraError(401, [NOT_AUTHENTICATED]).body()), 401, headers


def _site_url() -> str:
    return request.host_url.rstrip("/") + request.path.split("/rest/", 1)[0]


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _flask_rule(template: str, versions: tuple[str, ...]) -> str:
    path = re.sub(r"\{(\w+)\}", lambda m: f"<{_snake(m.group(1))}>", template)
    if path.startswith("/"):
        return path
    choices = ",".join(f'"{v}"' for v in versions)
    return f"/rest/api/<any({choices}):version>/{path}"


class JiraRouter:
    def __init__(self, blueprint: Blueprint, sandbox: Sandbox) -> None:
        self.blueprint = blueprint
        self.sandbox = sandbox

    def add(self, routes: tuple[Route, ...]) -> None:
        for route in routes:
            self._add(route)

    def _add(self, route: Route) -> None:
        template = route.template
        operation = f"{route.method} {template if template.startswith('/') else '/' + template}"

        def view(**params: str) -> ResponseReturnValue:
            params.pop("version", None)
            return self._serve(operation, route.handler, route.anonymous, params)

        self.blueprint.add_url_rule(
            _flask_rule(template, route.versions),
            endpoint=f"{route.method.lower()}_{route.handler.__name__}",
            view_func=view,
            methods=[route.method],
        )

    def _serve(
        self, operation: str, handler: Handler, anonymous: bool, params: dict[str, str]
    ) -> ResponseReturnValue:
        presented, user = self._authenticate()
        key = user.email if user else ANONYMOUS
        refusal = admit(self.sandbox, SERVICE, operation, limit=USER_LIMIT, limit_key=(key,))
        if refusal is not None:
            return _refused(refusal)
        if user is None and (presented or not anonymous):
            return _unauthenticated(presented)
        with self.sandbox.lock:
            call = Call(user=user, base=_site_url(), now=self.sandbox.now())
            try:
                return handler(call, self.sandbox.jira, **params)
            except JiraError as error:
                g.detail = str(error)  # shown in the sandbox's request log
                return jira_error(error)

    def _authenticate(self) -> tuple[bool, JiraUser | None]:
        """(credentials presented, the user they prove). Only Basic email + API token works."""
        auth = request.authorization
        if auth is None:
            return False, None
        email, token = auth.username or "", auth.password or ""
        expected = API_TOKENS.get(email.lower(), "")
        if auth.type != "basic" or not expected or not hmac.compare_digest(token, expected):
            return True, None
        with self.sandbox.lock:
            site: JiraSite = self.sandbox.jira
            return True, site.catalog.user_by_email(email)


def no_content() -> Response:
    return Response(status=204)
