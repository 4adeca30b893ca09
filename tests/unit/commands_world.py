"""A small organisation and one open incident with its war room, on the fakes and a real SQLite
database, for the `/incident` command tests (tests/unit/test_commands_*.py)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from multivac.incidents.commands.render import summary_message
from multivac.incidents.slack_commands import Invocation
from multivac.incidents.war_room.context import Deps
from multivac.incidents.war_room.threads import Threads
from multivac.integrations.fakes import FakeChat, FakePager, FakeTracker
from multivac.integrations.ports import (
    ChatUser,
    OnCall,
    PagerIncident,
    PagerService,
    PagerUser,
)
from multivac.settings import AuthorizationSettings
from multivac.store.cache import Remembered
from multivac.store.database import make_engine, make_session_factory, transaction
from multivac.store.incidents import get_or_create_incident_for_pagerduty, update_incident
from multivac.store.migrate import upgrade
from multivac.store.models import Role
from multivac.store.responders import add_responder
from tests.support import sandbox_settings

MANAGERS = "S0MANAGERS"
BANK_FEEDS_POLICY, PAYMENTS_POLICY = "PEPBANK", "PEPPAY"


@dataclass(frozen=True)
class Someone:
    slack_id: str
    name: str
    email: str
    pagerduty_id: str | None = None
    jira_id: str | None = None


LEAD = Someone("U0LEAD", "Lucas Kim", "lucas@tuatara.example", "PLUCAS", "5b10lucas")
ALICE = Someone("U0ALICE", "Alice Ng", "alice@tuatara.example", "PALICE", "5b10alice")
CX = Someone("U0CX", "Mason Lee", "mason@tuatara.example")
ZOE = Someone("U0ZOE", "Zoe Anderson", "zoe@tuatara.example")  # an incident manager
NOBODY = Someone("U0NOBODY", "Grace Liu", "grace@tuatara.example")  # no role, no group
PEOPLE = (LEAD, ALICE, CX, ZOE, NOBODY)
MULTIVAC_PD = PagerUser("PMULTIVAC", "Multivac", "multivac@tuatara.example")


@dataclass
class World:
    deps: Deps
    chat: FakeChat
    pager: FakePager
    tracker: FakeTracker
    incident_id: int
    channel_id: str
    summary_ts: str
    jira_key: str
    engine: Engine

    def close(self) -> None:
        self.engine.dispose()

    def invocation(self, who: Someone, text: str, channel_id: str | None = None) -> Invocation:
        return Invocation(
            user_id=who.slack_id,
            channel_id=channel_id or self.channel_id,
            text=text,
            response_url="https://hooks.slack.example/commands/1",
            trigger_id=f"trigger-{len(self.chat.calls)}",
        )

    def said_to(self, who: Someone) -> list[str]:
        return [text for _, user, text in self.chat.ephemerals if user == who.slack_id]

    def channel_messages(self) -> list[str]:
        return [m.text for m in self.chat.messages.values() if m.channel_id == self.channel_id]

    def summary_blocks_text(self) -> str:
        message = self.chat.messages[(self.channel_id, self.summary_ts)]
        return "\n".join(str((b.get("text") or {}).get("text", "")) for b in message.blocks or [])


def migrated_template(directory: Path) -> Path:
    path = directory / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


def build_world(template: Path, directory: Path) -> World:
    database = directory / "multivac.db"
    shutil.copy(template, database)
    settings = sandbox_settings(None, f"sqlite:///{database}").model_copy(
        update={"authorization": AuthorizationSettings(resolve=[MANAGERS], severity=[MANAGERS])}
    )
    chat, pager, tracker = _fakes()
    engine = make_engine(settings.database_url)
    deps = Deps(
        chat, pager, tracker, settings, make_session_factory(engine), Threads.start(), Remembered()
    )
    channel = chat.create_channel(name="inc-20261122-7-bank-feeds-delayed")
    chat.invite(channel_id=channel.id, user_ids=[p.slack_id for p in PEOPLE])
    issue = tracker.create_issue(
        project="INC",
        issue_type="Incident",
        summary="Bank feeds delayed",
        description="",
        assignee_account_id=LEAD.jira_id,
        priority="Medium",
    )
    incident_id = _record_incident(deps, channel.id, channel.name, issue.key)
    text, blocks = summary_message(deps, incident_id)
    ts = chat.post_message(channel_id=channel.id, text=text, blocks=blocks)
    with transaction(deps.sessions) as session:
        update_incident(session, incident_id, slack_summary_ts=ts)
    chat.calls.clear()
    return World(deps, chat, pager, tracker, incident_id, channel.id, ts, issue.key, engine)


def _fakes() -> tuple[FakeChat, FakePager, FakeTracker]:
    chat = FakeChat(
        users=[ChatUser(p.slack_id, p.name, p.email) for p in PEOPLE],
        usergroups={MANAGERS: [ZOE.slack_id], "S0CXTEAM": [CX.slack_id]},
    )
    now = datetime.now(UTC)
    pager = FakePager(
        users=[
            *(PagerUser(p.pagerduty_id, p.name, p.email) for p in PEOPLE if p.pagerduty_id),
            MULTIVAC_PD,
        ],
        services=[
            PagerService("PSBANK", "Bank Feeds", BANK_FEEDS_POLICY),
            PagerService("PSPAY", "Payments Gateway", PAYMENTS_POLICY),
        ],
        oncall_entries=[
            OnCall(
                "PLUCAS",
                LEAD.name,
                LEAD.email,
                BANK_FEEDS_POLICY,
                1,
                "Bank Feeds",
                now - timedelta(hours=1),
                now + timedelta(hours=5),
            ),
            OnCall("PALICE", ALICE.name, ALICE.email, BANK_FEEDS_POLICY, 2, None, None, None),
            OnCall(
                "PALICE",
                ALICE.name,
                ALICE.email,
                PAYMENTS_POLICY,
                1,
                "Payments",
                now - timedelta(hours=1),
                now + timedelta(hours=2),
            ),
        ],
        incidents=[
            PagerIncident(
                "PINC7",
                7,
                "Bank feeds delayed",
                "triggered",
                "high",
                "P3",
                "PSBANK",
                "Bank Feeds",
                BANK_FEEDS_POLICY,
                ("PLUCAS",),
                "https://pd.example/incidents/PINC7",
                now,
            )
        ],
    )
    tracker = FakeTracker(accounts={p.email: p.jira_id for p in PEOPLE if p.jira_id})
    return chat, pager, tracker


def _record_incident(deps: Deps, channel_id: str, channel_name: str, jira_key: str) -> int:
    with transaction(deps.sessions) as session:
        incident, _ = get_or_create_incident_for_pagerduty(
            session,
            "PINC7",
            title="Bank feeds delayed",
            severity="SEV3",
            urgency="high",
            pagerduty_number=7,
            service_id="PSBANK",
            service_name="Bank Feeds",
            escalation_policy_id=BANK_FEEDS_POLICY,
            pagerduty_url="https://pd.example/incidents/PINC7",
            triggered_at=datetime.now(UTC) - timedelta(minutes=65),
        )
        update_incident(
            session,
            incident.id,
            slack_channel_id=channel_id,
            slack_channel_name=channel_name,
            jira_key=jira_key,
            lead_slack_id=LEAD.slack_id,
            lead_name=LEAD.name,
            lead_email=LEAD.email,
            lead_pagerduty_id=LEAD.pagerduty_id,
        )
        add_responder(
            session,
            incident.id,
            role=Role.LEAD,
            email=LEAD.email,
            slack_user_id=LEAD.slack_id,
            pagerduty_user_id=LEAD.pagerduty_id,
        )
        return incident.id
