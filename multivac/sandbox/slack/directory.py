"""Who is who: auth.test, users.info, users.lookupByEmail and usergroups.users.list."""

from __future__ import annotations

from multivac.sandbox import seed
from multivac.sandbox.slack.args import Args
from multivac.sandbox.slack.render import user_json
from multivac.sandbox.slack.state import BOT_NAME, Json, SlackError, SlackWorkspace


def auth_test(workspace: SlackWorkspace, args: Args) -> Json:
    return {
        "url": f"https://{seed.SLACK_TEAM_DOMAIN}.slack.com/",
        "team": "Tuatara",
        "user": BOT_NAME,
        "team_id": seed.SLACK_TEAM_ID,
        "user_id": seed.SLACK_BOT_USER_ID,
        "bot_id": seed.SLACK_BOT_ID,
        "is_enterprise_install": False,
    }


def users_info(workspace: SlackWorkspace, args: Args) -> Json:
    return {"user": user_json(workspace.user(args.text("user")))}


def users_lookup_by_email(workspace: SlackWorkspace, args: Args) -> Json:
    user = workspace.user_by_email(args.text("email"))
    if user is None:
        raise SlackError("users_not_found")
    return {"user": user_json(user)}


def usergroup_users(workspace: SlackWorkspace, args: Args) -> Json:
    group = workspace.usergroups.get(args.text("usergroup"))
    if group is None:
        raise SlackError("no_such_subteam")
    return {"users": list(group.users)}
