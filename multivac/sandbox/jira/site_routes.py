"""Site-level Jira endpoints: server info, the caller, users, projects, priorities and the like."""

from __future__ import annotations

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from multivac.sandbox.jira import render
from multivac.sandbox.jira.errors import JiraError
from multivac.sandbox.jira.router import ANY_VERSION, Call, Route
from multivac.sandbox.jira.state import JiraSite

VERSION_NUMBERS = [1001, 0, 0]
USER_NOT_FOUND = "Specified user does not exist or you do not have required permissions"


def server_info(call: Call, _: JiraSite) -> ResponseReturnValue:
    return jsonify(
        baseUrl=call.base,
        version="1001.0.0-SNAPSHOT",
        versionNumbers=VERSION_NUMBERS,
        deploymentType="Cloud",
        buildNumber=100250,
        buildDate="2025-01-01T00:00:00.000+0000",
        serverTime=render.timestamp(call.now),
        scmInfo="sandbox",
        serverTitle="Tuatara Jira (sandbox)",
        defaultLocale={"locale": "en_US"},
    )


def myself(call: Call, _: JiraSite) -> ResponseReturnValue:
    return jsonify(
        render.user(call.base, call.caller)
        | {"groups": {"size": 1, "items": []}, "applicationRoles": {"size": 1, "items": []}}
    )


def get_user(call: Call, site: JiraSite) -> ResponseReturnValue:
    account_id = request.args.get("accountId")
    if not account_id:
        raise JiraError(400, ["The query parameter 'accountId' is required."])
    found = site.catalog.user(account_id)
    if found is None:
        raise JiraError(404, [USER_NOT_FOUND])
    return jsonify(render.user(call.base, found))


def search_users(call: Call, site: JiraSite) -> ResponseReturnValue:
    if request.args.get("username") is not None:
        # Cloud dropped usernames (GDPR); pycontribs only sends it when it thinks it is Server.
        raise JiraError(
            400, ["The query parameter 'username' is not supported in GDPR strict mode."]
        )
    query, account_id = request.args.get("query"), request.args.get("accountId")
    if account_id:
        users = [u for u in [site.catalog.user(account_id)] if u is not None]
    elif query:
        inactive = request.args.get("includeInactive", "").lower() == "true"
        users = site.catalog.search_users(query, include_inactive=inactive)
    else:
        raise JiraError(400, ["One of 'query' or 'accountId' query parameters must be provided."])
    start, size = call.arg_int("startAt", 0), call.arg_int("maxResults", 50)
    return jsonify([render.user(call.base, u) for u in users[start : start + size]])


def list_projects(call: Call, site: JiraSite) -> ResponseReturnValue:
    return jsonify([render.project(call.base, p) for p in site.catalog.projects])


def get_project(call: Call, site: JiraSite, project_id_or_key: str) -> ResponseReturnValue:
    found = site.catalog.project(project_id_or_key)
    if found is None:
        raise JiraError(404, [f"No project could be found with key '{project_id_or_key}'."])
    return jsonify(render.project(call.base, found))


def list_creatable_issue_types(
    call: Call, site: JiraSite, project_id_or_key: str
) -> ResponseReturnValue:
    found = site.catalog.project(project_id_or_key)
    if found is None:
        raise JiraError(404, [f"No project could be found with key '{project_id_or_key}'."])
    kinds = [render.issue_type(call.base, t) for t in found.issue_types]
    return jsonify(maxResults=50, startAt=0, total=len(kinds), isLast=True, issueTypes=kinds)


def list_issue_types(call: Call, site: JiraSite) -> ResponseReturnValue:
    kinds = {t.id: t for p in site.catalog.projects for t in p.issue_types}
    return jsonify([render.issue_type(call.base, t) for t in kinds.values()])


def list_priorities(call: Call, site: JiraSite) -> ResponseReturnValue:
    return jsonify([render.priority(call.base, p) for p in site.catalog.priorities])


def get_priority(call: Call, site: JiraSite, priority_id: str) -> ResponseReturnValue:
    found = site.catalog.priority({"id": priority_id})
    if found is None:
        raise JiraError(404, [f"Cannot find priority with id '{priority_id}'."])
    return jsonify(render.priority(call.base, found))


def list_resolutions(call: Call, site: JiraSite) -> ResponseReturnValue:
    return jsonify([render.resolution(call.base, r) for r in site.catalog.resolutions])


def list_statuses(call: Call, site: JiraSite) -> ResponseReturnValue:
    return jsonify([render.status(call.base, s) for s in site.catalog.statuses()])


def list_application_links(_: Call, __: JiraSite) -> ResponseReturnValue:
    # pycontribs' add_remote_link lists these first; a site with no application links.
    return jsonify([])


ROUTES: tuple[Route, ...] = (
    Route("GET", "serverInfo", server_info, versions=ANY_VERSION, anonymous=True),
    Route("GET", "myself", myself, versions=ANY_VERSION),
    Route("GET", "user", get_user, versions=ANY_VERSION),
    Route("GET", "user/search", search_users, versions=ANY_VERSION),
    Route("GET", "project", list_projects, versions=ANY_VERSION),
    Route("GET", "project/{projectIdOrKey}", get_project, versions=ANY_VERSION),
    Route(
        "GET",
        "issue/createmeta/{projectIdOrKey}/issuetypes",
        list_creatable_issue_types,
        versions=ANY_VERSION,
    ),
    Route("GET", "issuetype", list_issue_types, versions=ANY_VERSION),
    Route("GET", "priority", list_priorities, versions=ANY_VERSION),
    Route("GET", "priority/{priorityId}", get_priority, versions=ANY_VERSION),
    Route("GET", "resolution", list_resolutions, versions=ANY_VERSION),
    Route("GET", "status", list_statuses, versions=ANY_VERSION),
    Route("GET", "/rest/applinks/latest/listApplicationlinks", list_application_links),
)
