"""Issue endpoints: create, read, edit, assign, comments, transitions and remote links (REST v2).

Rich-text bodies are v2 plain strings, so these are served under `2` and `latest` only, except
the assignee and transition listing, which are identical in v3.
"""

from __future__ import annotations

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from multivac.sandbox.jira import render
from multivac.sandbox.jira.router import ANY_VERSION, Call, Route, no_content
from multivac.sandbox.jira.state import JiraSite

ISSUE = "issue/{issueIdOrKey}"


def create_issue(call: Call, site: JiraSite) -> ResponseReturnValue:
    issue = site.create_issue(call.body(), reporter=call.caller, now=call.now)
    return jsonify(render.created(call.base, issue)), 201


def get_issue(call: Call, site: JiraSite, issue_id_or_key: str) -> ResponseReturnValue:
    issue = site.issue(issue_id_or_key)
    return jsonify(render.issue_body(call.base, issue, request.args.get("fields")))


def edit_issue(call: Call, site: JiraSite, issue_id_or_key: str) -> ResponseReturnValue:
    site.edit_issue(site.issue(issue_id_or_key), call.body(), by=call.caller, now=call.now)
    return no_content()


def assign_issue(call: Call, site: JiraSite, issue_id_or_key: str) -> ResponseReturnValue:
    site.assign(site.issue(issue_id_or_key), call.body(), now=call.now)
    return no_content()


def list_comments(call: Call, site: JiraSite, issue_id_or_key: str) -> ResponseReturnValue:
    issue = site.issue(issue_id_or_key)
    start, size = call.arg_int("startAt", 0), call.arg_int("maxResults", 5000)
    return jsonify(render.comments_page(call.base, issue, start, size))


def add_comment(call: Call, site: JiraSite, issue_id_or_key: str) -> ResponseReturnValue:
    issue = site.issue(issue_id_or_key)
    comment = site.add_comment(issue, call.caller, call.body().get("body"), call.now)
    return jsonify(render.comment(call.base, issue, comment)), 201


def get_comment(
    call: Call, site: JiraSite, issue_id_or_key: str, comment_id: str
) -> ResponseReturnValue:
    issue = site.issue(issue_id_or_key)
    return jsonify(render.comment(call.base, issue, site.comment(issue, comment_id)))


def list_transitions(call: Call, site: JiraSite, issue_id_or_key: str) -> ResponseReturnValue:
    moves = site.catalog.transitions_from(site.issue(issue_id_or_key).status)
    wanted = request.args.get("transitionId")
    shown = [render.transition(call.base, t) for t in moves if wanted in (None, t.id)]
    return jsonify(expand="transitions", transitions=shown)


def do_transition(call: Call, site: JiraSite, issue_id_or_key: str) -> ResponseReturnValue:
    site.transition(site.issue(issue_id_or_key), call.body(), by=call.caller, now=call.now)
    return no_content()


def list_remote_links(call: Call, site: JiraSite, issue_id_or_key: str) -> ResponseReturnValue:
    issue = site.issue(issue_id_or_key)
    return jsonify([render.remote_link(call.base, issue, link) for link in issue.remote_links])


def add_remote_link(call: Call, site: JiraSite, issue_id_or_key: str) -> ResponseReturnValue:
    issue = site.issue(issue_id_or_key)
    link, added = site.upsert_remote_link(issue, call.body())
    shown = render.remote_link(call.base, issue, link)
    return jsonify({"id": shown["id"], "self": shown["self"]}), 201 if added else 200


def get_remote_link(
    call: Call, site: JiraSite, issue_id_or_key: str, link_id: str
) -> ResponseReturnValue:
    issue = site.issue(issue_id_or_key)
    return jsonify(render.remote_link(call.base, issue, site.remote_link(issue, link_id)))


ROUTES: tuple[Route, ...] = (
    Route("POST", "issue", create_issue),
    Route("GET", ISSUE, get_issue),
    Route("PUT", ISSUE, edit_issue),
    Route("PUT", f"{ISSUE}/assignee", assign_issue, versions=ANY_VERSION),
    Route("GET", f"{ISSUE}/comment", list_comments),
    Route("POST", f"{ISSUE}/comment", add_comment),
    Route("GET", f"{ISSUE}/comment/{{commentId}}", get_comment),
    Route("GET", f"{ISSUE}/transitions", list_transitions, versions=ANY_VERSION),
    Route("POST", f"{ISSUE}/transitions", do_transition),
    Route("GET", f"{ISSUE}/remotelink", list_remote_links),
    Route("POST", f"{ISSUE}/remotelink", add_remote_link),
    Route("GET", f"{ISSUE}/remotelink/{{linkId}}", get_remote_link),
)
