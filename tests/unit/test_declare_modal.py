"""The "Declare an incident" modal: what the declarer sees, within Slack's limits, and what their
submission asks for (or which field they must fix)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from multivac.incidents import declare_modal as modal
from multivac.incidents.declare_modal import DeclareRequest, declare_view, parse_submission

SERVICES = [("PBANK01", "Bank Feeds"), ("PPAY002", "Payments")]


def view(**overrides: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "title": "Bank feeds down",
        "services": SERVICES,
        "declarer_id": "U0AROHA",
        "channel_id": "C0GENERAL",
    }
    return declare_view(**(arguments | overrides))


def block(built: dict[str, Any], block_id: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [b for b in built["blocks"] if b.get("block_id") == block_id]
    assert len(found) == 1
    return found[0]


def element(built: dict[str, Any], block_id: str) -> dict[str, Any]:
    found: dict[str, Any] = block(built, block_id)["element"]
    return found


def option_texts(element_: dict[str, Any]) -> list[str]:
    return [o["text"]["text"] for o in element_["options"]]


# -- the view -------------------------------------------------------------------------------------


def test_the_modal_is_identified_and_remembers_where_it_was_opened() -> None:
    built = view()
    assert built["type"] == "modal"
    assert built["callback_id"] == "incident_declare"
    assert json.loads(built["private_metadata"]) == {"channel_id": "C0GENERAL"}
    assert len(built["title"]["text"]) <= 24
    assert built["submit"]["text"] == "Declare"


def test_the_fields_come_in_order_with_their_ids() -> None:
    built = view()
    ids = [(b["block_id"], b["element"]["action_id"], b["optional"]) for b in built["blocks"]]
    assert ids == [
        (modal.TITLE_BLOCK, modal.TITLE_ACTION, False),
        (modal.SEVERITY_BLOCK, modal.SEVERITY_ACTION, False),
        (modal.SERVICE_BLOCK, modal.SERVICE_ACTION, True),
        (modal.DESCRIPTION_BLOCK, modal.DESCRIPTION_ACTION, True),
        (modal.LEAD_BLOCK, modal.LEAD_ACTION, True),
        (modal.PAGING_BLOCK, modal.PAGING_ACTION, True),
        (modal.OPTIONS_BLOCK, modal.OPTIONS_ACTION, True),
    ]


def test_the_title_starts_as_typed_after_the_command() -> None:
    title = element(view(title="  Bank   feeds down "), modal.TITLE_BLOCK)
    assert title["type"] == "plain_text_input"
    assert title["initial_value"] == "Bank feeds down"
    assert "initial_value" not in element(view(title=""), modal.TITLE_BLOCK)


def test_a_long_title_is_cut_to_the_input_limit() -> None:
    title = element(view(title="x" * 500), modal.TITLE_BLOCK)
    assert len(title["initial_value"]) == title["max_length"] == modal.TITLE_MAX


def test_severities_are_explained_in_plain_words() -> None:
    severity = element(view(), modal.SEVERITY_BLOCK)
    assert severity["type"] == "static_select"
    assert [o["value"] for o in severity["options"]] == ["SEV1", "SEV2", "SEV3", "SEV4"]
    texts = option_texts(severity)
    assert texts[0] == "SEV1 — Critical: customers can't use a core product; all hands"
    assert all(text.startswith(f"SEV{n} — ") for n, text in enumerate(texts, start=1))
    assert all(len(text) <= 75 for text in texts)
    assert "initial_option" not in severity  # a conscious choice, never a default


def test_services_are_offered_by_pagerduty_id() -> None:
    service = element(view(), modal.SERVICE_BLOCK)
    assert service["type"] == "static_select"
    assert [(o["value"], o["text"]["text"]) for o in service["options"]] == SERVICES


def test_service_options_stay_within_slacks_limits() -> None:
    many = [(f"P{n:06d}", f"Service {n} " + "y" * 100) for n in range(150)]
    service = element(view(services=many), modal.SERVICE_BLOCK)
    assert len(service["options"]) == 100
    assert service["options"][0]["value"] == "P000000"
    assert all(len(text) <= 75 for text in option_texts(service))
    assert option_texts(service)[0].endswith("…")


def test_without_services_the_field_is_left_out() -> None:
    built = view(services=[])
    assert modal.SERVICE_BLOCK not in [b["block_id"] for b in built["blocks"]]


def test_the_declarer_is_the_lead_unless_they_choose_someone_else() -> None:
    lead = element(view(), modal.LEAD_BLOCK)
    assert lead["type"] == "users_select"
    assert lead["initial_user"] == "U0AROHA"


def test_paging_defaults_to_sev1_and_sev2_and_a_private_channel_is_off() -> None:
    paging = element(view(), modal.PAGING_BLOCK)
    assert paging["type"] == "radio_buttons"
    assert [o["value"] for o in paging["options"]] == ["urgent", "yes", "no"]
    assert option_texts(paging) == ["For SEV1 and SEV2", "Yes", "No"]
    assert paging["initial_option"] == paging["options"][0]
    options = element(view(), modal.OPTIONS_BLOCK)
    assert option_texts(options) == ["Private channel"]
    assert "initial_options" not in options


@pytest.mark.parametrize(
    ("severity", "paging", "pages"),
    [
        ("SEV1", None, True),
        ("SEV2", "urgent", True),
        ("SEV3", "urgent", False),
        ("SEV4", None, False),
        ("SEV4", "yes", True),
        ("SEV1", "no", False),
    ],
)
def test_the_on_call_is_paged_by_default_for_sev1_and_sev2_only(
    severity: str, paging: str | None, pages: bool
) -> None:
    request = parse_submission(submission(severity=severity, paging=paging))
    assert isinstance(request, DeclareRequest)
    assert request.page is pages


def test_the_description_is_optional_and_multiline() -> None:
    description = element(view(), modal.DESCRIPTION_BLOCK)
    assert description["multiline"] is True
    assert description["max_length"] <= 3000


# -- the submission -------------------------------------------------------------------------------


def submission(
    *,
    title: str | None = "Bank feeds down",
    severity: str | None = "SEV2",
    service: str | None = "PBANK01",
    description: str | None = "Imports stuck since 09:10",
    lead: str | None = "U0BOB",
    ticked: tuple[str, ...] = (),
    paging: str | None = None,
    metadata: str = '{"channel_id": "C0GENERAL"}',
) -> dict[str, Any]:
    """A view_submission payload as Slack sends it for this modal."""

    def selected(value: str | None) -> dict[str, Any] | None:
        return (
            None
            if value is None
            else {"text": {"type": "plain_text", "text": value}, "value": value}
        )

    values = {
        modal.TITLE_BLOCK: {modal.TITLE_ACTION: {"type": "plain_text_input", "value": title}},
        modal.SEVERITY_BLOCK: {
            modal.SEVERITY_ACTION: {"type": "static_select", "selected_option": selected(severity)}
        },
        modal.SERVICE_BLOCK: {
            modal.SERVICE_ACTION: {"type": "static_select", "selected_option": selected(service)}
        },
        modal.DESCRIPTION_BLOCK: {
            modal.DESCRIPTION_ACTION: {"type": "plain_text_input", "value": description}
        },
        modal.LEAD_BLOCK: {modal.LEAD_ACTION: {"type": "users_select", "selected_user": lead}},
        modal.PAGING_BLOCK: {
            modal.PAGING_ACTION: {"type": "radio_buttons", "selected_option": selected(paging)}
        },
        modal.OPTIONS_BLOCK: {
            modal.OPTIONS_ACTION: {
                "type": "checkboxes",
                "selected_options": [selected(value) for value in ticked],
            }
        },
    }
    return {
        "type": "view_submission",
        "user": {"id": "U0AROHA", "name": "aroha"},
        "view": {
            "callback_id": modal.CALLBACK_ID,
            "private_metadata": metadata,
            "state": {"values": values},
        },
    }


def test_a_complete_submission_is_a_declare_request() -> None:
    assert parse_submission(submission()) == DeclareRequest(
        title="Bank feeds down",
        severity="SEV2",
        service_id="PBANK01",
        description="Imports stuck since 09:10",
        lead_user_id="U0BOB",
        page=True,
        private=False,
        declarer_id="U0AROHA",
        channel_id="C0GENERAL",
    )


def test_optional_fields_left_empty_fall_back_to_their_defaults() -> None:
    request = parse_submission(
        submission(service=None, description=None, lead=None, ticked=("private",), paging="no")
    )
    assert isinstance(request, DeclareRequest)
    assert request.service_id is None
    assert request.description == ""
    assert request.lead_user_id == "U0AROHA"  # the declarer leads
    assert (request.page, request.private) == (False, True)


@pytest.mark.parametrize("title", [None, "", "   \n "])
def test_an_empty_title_is_an_error_on_the_title_field(title: str | None) -> None:
    assert parse_submission(submission(title=title)) == {"title": "Give the incident a title"}


def test_a_missing_severity_is_an_error_on_the_severity_field() -> None:
    assert parse_submission(submission(severity=None)) == {"severity": "Pick a severity"}


def test_a_severity_the_modal_never_offered_is_refused() -> None:
    assert parse_submission(submission(severity="SEV9")) == {"severity": "Pick a severity"}


def test_every_field_error_is_reported_at_once() -> None:
    assert parse_submission(submission(title=" ", severity=None)) == {
        "title": "Give the incident a title",
        "severity": "Pick a severity",
    }


@pytest.mark.parametrize("metadata", ["", "not json", "[1]"])
def test_unreadable_metadata_leaves_the_channel_unknown(metadata: str) -> None:
    request = parse_submission(submission(metadata=metadata))
    assert isinstance(request, DeclareRequest)
    assert request.channel_id == ""


def test_a_payload_without_a_view_asks_for_the_required_fields() -> None:
    assert parse_submission({"type": "view_submission"}) == {
        "title": "Give the incident a title",
        "severity": "Pick a severity",
    }
