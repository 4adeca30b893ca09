"""views.open and views.update: modals opened with a trigger id the actor issued."""

from __future__ import annotations

import hashlib
import json
import time

from multivac.sandbox.slack.args import Args
from multivac.sandbox.slack.render import view_json
from multivac.sandbox.slack.state import Json, SlackError, SlackWorkspace, View

VIEW_MAX_BYTES = 250_000


def open_view(workspace: SlackWorkspace, args: Args) -> Json:
    """Consumes the trigger id (once, within three seconds) only when the view itself is valid."""
    view = _valid_view(args)
    external_id = str(view.get("external_id") or "") or None
    if external_id and any(v.external_id == external_id for v in workspace.views.values()):
        raise SlackError("duplicate_external_id")
    pointer = args.text("trigger_id") or args.text("interactivity_pointer")
    trigger = workspace.redeem_trigger(pointer)
    view_id = workspace.serial("V0", 9)
    opened = View(view_id, trigger.user, view, _hash(view), view_id, external_id)
    workspace.views[view_id] = opened
    return {"view": view_json(opened)}


def update_view(workspace: SlackWorkspace, args: Args) -> Json:
    """Replaces the view found by `view_id` or `external_id`; a stale `hash` is a conflict."""
    view = _valid_view(args)
    target = _find(workspace, args.text("view_id"), args.text("external_id"))
    given_hash = args.text("hash")
    if given_hash and given_hash != target.hash:
        raise SlackError("hash_conflict")
    target.view, target.hash = view, _hash(view)
    return {"view": view_json(target)}


def _find(workspace: SlackWorkspace, view_id: str, external_id: str) -> View:
    if view_id:
        found = workspace.views.get(view_id)
    else:
        found = next(
            (v for v in workspace.views.values() if external_id and v.external_id == external_id),
            None,
        )
    if found is None:
        raise SlackError("not_found")
    return found


def _valid_view(args: Args) -> Json:
    view = args.json("view", "invalid_arguments")
    if not isinstance(view, dict) or view.get("type") not in ("modal", "home"):
        raise SlackError("invalid_arguments")
    if not isinstance(view.get("blocks", []), list):
        raise SlackError("invalid_arguments")
    if len(json.dumps(view)) > VIEW_MAX_BYTES:
        raise SlackError("view_too_large")
    return view


def _hash(view: Json) -> str:
    digest = hashlib.sha256(json.dumps(view, sort_keys=True).encode()).hexdigest()[:8]
    return f"{int(time.time())}.{digest}"
