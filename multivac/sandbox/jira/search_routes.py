"""Issue search as Jira Cloud serves it now: `search/jql`, GET and POST, under v2, v3 and latest.

Pages go by `nextPageToken` (no `startAt`, no `total`); the last page says `isLast: true` and has
no token. Only issue ids come back unless `fields` asks for more. The older offset-paged `search`
endpoint was removed from Cloud in 2025 (Atlassian's CHANGE-2046) and answers 410 Gone here as
it does there; pycontribs' `search_issues` already calls `search/jql` on a Cloud site.

Real Cloud search is eventually consistent (an issue created seconds ago may be missing unless
its id is in `reconcileIssues`); the sandbox is always up to date and ignores `reconcileIssues`.

Also `field`: pycontribs reads it once, before its first search, to map JQL names to field ids.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from multivac.sandbox.jira import render
from multivac.sandbox.jira.errors import JiraError
from multivac.sandbox.jira.jql import parse
from multivac.sandbox.jira.router import ANY_VERSION, Call, Route
from multivac.sandbox.jira.state import JiraSite

REMOVED = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)
STALE_PAGE = "The provided next page token is invalid or expired."
DEFAULT_FIELDS = "id"
DEFAULT_PAGE = 50
MAX_PAGE_IDS_ONLY = 5000
MAX_PAGE_WITH_FIELDS = 100
# System fields as `GET field` lists them: (id, name, JQL clause names).
SYSTEM_FIELDS = (
    ("summary", "Summary", ["summary"]),
    ("description", "Description", ["description"]),
    ("project", "Project", ["project"]),
    ("issuetype", "Issue Type", ["issuetype", "type"]),
    ("status", "Status", ["status"]),
    ("priority", "Priority", ["priority"]),
    ("assignee", "Assignee", ["assignee"]),
    ("reporter", "Reporter", ["reporter"]),
    ("creator", "Creator", ["creator"]),
    ("labels", "Labels", ["labels"]),
    ("created", "Created", ["created", "createdDate"]),
    ("updated", "Updated", ["updated", "updatedDate"]),
    ("resolution", "Resolution", ["resolution"]),
    ("issuekey", "Key", ["id", "issue", "issuekey", "key"]),
)


def search_get(call: Call, site: JiraSite) -> ResponseReturnValue:
    fields = ",".join(request.args.getlist("fields"))
    size = call.arg_int("maxResults", DEFAULT_PAGE)
    jql, token = request.args.get("jql", ""), request.args.get("nextPageToken")
    return _search(call, site, jql=jql, fields=fields, size=size, token=token)


def search_post(call: Call, site: JiraSite) -> ResponseReturnValue:
    body = call.body()
    jql, fields, size, token = (
        body.get("jql", ""),
        body.get("fields") or [],
        body.get("maxResults", DEFAULT_PAGE),
        body.get("nextPageToken"),
    )
    if not isinstance(jql, str) or not isinstance(size, int) or isinstance(size, bool):
        raise JiraError(400, ["Invalid request payload: 'jql' is text, 'maxResults' a number."])
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        raise JiraError(400, ["Invalid request payload: 'fields' is a list of field names."])
    if token is not None and not isinstance(token, str):
        raise JiraError(400, [STALE_PAGE])
    return _search(call, site, jql=jql, fields=",".join(fields), size=size, token=token)


def _search(
    call: Call, site: JiraSite, *, jql: str, fields: str, size: int, token: str | None
) -> ResponseReturnValue:
    query = parse(jql, site.catalog)
    start = _offset(token)
    fields = fields or DEFAULT_FIELDS
    names = {name.strip() for name in fields.split(",")}
    ceiling = MAX_PAGE_IDS_ONLY if names <= {"id", "key"} else MAX_PAGE_WITH_FIELDS
    limit = max(1, min(size, ceiling))
    found = query.run(site.issues, site.catalog)
    end = start + limit
    body: dict[str, Any] = {
        "issues": [render.issue_body(call.base, i, fields) for i in found[start:end]],
        "isLast": end >= len(found),
    }
    if end < len(found):
        body["nextPageToken"] = base64.urlsafe_b64encode(f"offset:{end}".encode()).decode()
    return jsonify(body)


def _offset(token: str | None) -> int:
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
        offset = int(text.removeprefix("offset:")) if text.startswith("offset:") else -1
    except (binascii.Error, UnicodeDecodeError, ValueError):
        offset = -1
    if offset < 0:
        raise JiraError(400, [STALE_PAGE])
    return offset


def removed_search(_: Call, __: JiraSite) -> ResponseReturnValue:
    raise JiraError(410, [REMOVED])


def list_fields(_: Call, __: JiraSite) -> ResponseReturnValue:
    return jsonify(
        [
            {
                "id": field_id,
                "key": field_id,
                "name": name,
                "custom": False,
                "orderable": field_id not in ("issuekey", "created", "updated", "creator"),
                "navigable": True,
                "searchable": True,
                "clauseNames": clauses,
            }
            for field_id, name, clauses in SYSTEM_FIELDS
        ]
    )


ROUTES: tuple[Route, ...] = (
    Route("GET", "search/jql", search_get, versions=ANY_VERSION),
    Route("POST", "search/jql", search_post, versions=ANY_VERSION),
    Route("GET", "search", removed_search, versions=ANY_VERSION),
    Route("POST", "search", removed_search, versions=ANY_VERSION),
    Route("GET", "field", list_fields, versions=ANY_VERSION),
)
