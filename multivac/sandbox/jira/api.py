"""The emulated Jira Cloud REST API, as pycontribs' `jira.JIRA(server=<sandbox>/jira)` uses it.

Served: `/rest/api/2/...` and `/rest/api/latest/...` (REST v2, plain-text bodies), plus the
v3 paths whose shapes are identical (issue search, `search/jql`, among them). Every call needs
HTTP Basic with the Multivac email and API token (`credentials.JIRA_EMAIL`, `JIRA_API_TOKEN`),
except `serverInfo`, which Cloud also answers anonymously; bad credentials get 401 everywhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from multivac.sandbox.jira import issue_routes, search_routes, site_routes
from multivac.sandbox.jira.errors import JiraError
from multivac.sandbox.jira.router import Call, JiraRouter, Route
from multivac.sandbox.jira.state import JiraSite

if TYPE_CHECKING:
    from multivac.sandbox.server import Sandbox


def create_jira_blueprint(sandbox: Sandbox) -> Blueprint:
    """Routes for the `jira` service; mount under `/jira`. State is read from `sandbox.jira`
    at request time, so `Sandbox.reset()` takes effect immediately."""
    blueprint = Blueprint("jira", __name__)
    router = JiraRouter(blueprint, sandbox)
    router.add(site_routes.ROUTES)
    router.add(issue_routes.ROUTES)
    router.add(search_routes.ROUTES)
    router.add(UNKNOWN_RESOURCE)
    return blueprint


def unknown_resource(_: Call, __: JiraSite, unknown: str) -> ResponseReturnValue:
    """What Jira answers for a REST path it does not serve."""
    raise JiraError(404, [f"null for uri: {request.url}"])


UNKNOWN_RESOURCE = tuple(
    Route(method, "/rest/<path:unknown>", unknown_resource)
    for method in ("GET", "POST", "PUT", "DELETE")
)
