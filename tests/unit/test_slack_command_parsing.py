"""What people type after `/incident` becomes a typed command, or a message saying exactly what
was expected."""

from __future__ import annotations

import pytest

from multivac.incidents.slack_commands import (
    HELP_TEXT,
    LEAD_USAGE,
    PAGE_USAGE,
    ROLE_USAGE,
    SEV_USAGE,
    UPDATE_USAGE,
    Command,
    CommandError,
    Declare,
    Help,
    ListIncidents,
    OnCall,
    Page,
    PostUpdate,
    Resolve,
    SetLead,
    SetRole,
    SetSeverity,
    Status,
    parse,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("help", Help()),
        ("  HeLp  ", Help()),
        ("", Declare(title="")),
        ("   ", Declare(title="")),
        ("declare", Declare(title="")),
        ("Declare   Bank feeds are not importing ", Declare(title="Bank feeds are not importing")),
        ("lead <@U01ADA|ada>", SetLead(user_id="U01ADA")),
        ("lead <@U01ADA>", SetLead(user_id="U01ADA")),
        ("lead U01ADA", SetLead(user_id="U01ADA")),
        ("LEAD   <@W01GRID|grace hopper> ", SetLead(user_id="W01GRID")),
        ("role cx <@U01ADA|ada>", SetRole(role="cx", user_id="U01ADA")),
        ("role COMMS <@U01ADA>", SetRole(role="comms", user_id="U01ADA")),
        ("role scribe U01ADA", SetRole(role="scribe", user_id="U01ADA")),
        ("sev 1", SetSeverity(severity="SEV1")),
        ("sev 4", SetSeverity(severity="SEV4")),
        ("sev SEV2", SetSeverity(severity="SEV2")),
        ("Sev sev3", SetSeverity(severity="SEV3")),
        ("update Rolled back; error rate falling", PostUpdate("Rolled back; error rate falling")),
        ("update  two\nlines ", PostUpdate(text="two\nlines")),
        ("page <@U01ADA|ada>", Page(target="U01ADA", target_is_user=True, message="")),
        ("page <@U01ADA> please join", Page("U01ADA", target_is_user=True, message="please join")),
        ("page payments", Page(target="payments", target_is_user=False, message="")),
        ("page payments db is down", Page("payments", target_is_user=False, message="db is down")),
        ('page "Bank Feeds" imports stuck', Page("Bank Feeds", False, "imports stuck")),
        ("page \u201cBank Feeds\u201d imports stuck", Page("Bank Feeds", False, "imports stuck")),
        ('page "Bank Feeds"', Page(target="Bank Feeds", target_is_user=False, message="")),
        ("resolve", Resolve(summary="")),
        ("resolve Bad deploy rolled back", Resolve(summary="Bad deploy rolled back")),
        ("status", Status()),
        ("oncall", OnCall(scope="")),
        ("oncall payments", OnCall(scope="payments")),
        ('oncall "Bank Feeds"', OnCall(scope="Bank Feeds")),
        ("oncall Bank Feeds", OnCall(scope="Bank Feeds")),
        ("LIST", ListIncidents()),
    ],
)
def test_each_command_parses_to_its_type(text: str, expected: Command) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lead", LEAD_USAGE),
        ("lead @ada", LEAD_USAGE),
        ("lead ada", LEAD_USAGE),
        ("lead <@U01ADA> <@U02BOB>", LEAD_USAGE),
        ("lead <#C0123|general>", LEAD_USAGE),
        ("role", ROLE_USAGE),
        ("role cx", ROLE_USAGE),
        ("role cx @ada", ROLE_USAGE),
        ("sev", SEV_USAGE),
        ("sev 0", SEV_USAGE),
        ("sev 5", SEV_USAGE),
        ("sev P1", SEV_USAGE),
        ("sev critical", SEV_USAGE),
        ("update", UPDATE_USAGE),
        ("update    ", UPDATE_USAGE),
        ("page", PAGE_USAGE),
        ("page @ada", PAGE_USAGE),
        ('page "Bank Feeds', PAGE_USAGE),
        ('page "" hello', PAGE_USAGE),
        ("page <!channel> wake up", PAGE_USAGE),
        ("status now", "Usage: `/incident status` (it takes no arguments)"),
        ("list all", "Usage: `/incident list` (it takes no arguments)"),
    ],
)
def test_arguments_that_do_not_parse_say_exactly_what_was_expected(text: str, message: str) -> None:
    with pytest.raises(CommandError) as failure:
        parse(text)
    assert str(failure.value) == message


def test_the_usage_messages_read_as_typed_once_slack_renders_them() -> None:
    # Slack's mrkdwn would turn a raw `<cx|comms|scribe>` into a link; the entities show as typed.
    assert LEAD_USAGE == "Usage: `/incident lead @person`"
    assert ROLE_USAGE == "Usage: `/incident role &lt;cx|comms|scribe&gt; @person`"
    assert SEV_USAGE == (
        "Usage: `/incident sev &lt;1-4&gt;` (1 is the most severe), e.g. `/incident sev 2`"
    )
    assert UPDATE_USAGE == "Usage: `/incident update &lt;what changed&gt;`"
    assert "`/incident page @person [message]`" in PAGE_USAGE


def test_an_unknown_role_is_named_with_the_usage() -> None:
    with pytest.raises(CommandError) as failure:
        parse("role captain <@U01ADA>")
    assert str(failure.value) == f"Unknown role 'captain'. {ROLE_USAGE}"


def test_an_unknown_subcommand_is_named_and_answered_with_the_help() -> None:
    with pytest.raises(CommandError) as failure:
        parse("Frobnicate the widgets")
    message = str(failure.value)
    assert message.startswith("Unknown command 'Frobnicate'. ")
    assert message.endswith(HELP_TEXT)


def test_an_unknown_subcommand_cannot_ping_a_channel_through_the_reply() -> None:
    with pytest.raises(CommandError) as failure:
        parse("<!channel> hello")
    assert "<!channel>" not in str(failure.value)
    assert "Unknown command '&lt;!channel&gt;'" in str(failure.value)


@pytest.mark.parametrize(
    "command",
    ["declare", "lead", "role", "sev", "update", "page", "resolve", "status", "oncall", "list"],
)
def test_the_help_lists_every_command_on_its_own_line(command: str) -> None:
    lines = [line for line in HELP_TEXT.splitlines() if f"`/incident {command}" in line]
    assert len(lines) == 1


def test_the_help_has_no_raw_angle_brackets_for_slack_to_misread() -> None:
    assert "<" not in HELP_TEXT
    assert ">" not in HELP_TEXT
    assert "&lt;cx|comms|scribe&gt;" in HELP_TEXT
